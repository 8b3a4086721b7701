package dev.rlft.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlProblemSourceTest {

  @TempDir Path dir;

  static Path resource(String name) {
    try {
      return Path.of(JsonlProblemSourceTest.class.getResource("/data/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private Path write(String name, String content) throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, content, StandardCharsets.UTF_8);
    return file;
  }

  private DatasetException loadFails(Path file) {
    DatasetException e =
        assertThrows(DatasetException.class, () -> new JsonlProblemSource(file).load());
    assertFalse(e.getMessage().contains("\n"), "one-line message: " + e.getMessage());
    return e;
  }

  @Test
  void load_rlftLines_roundTripWithDefaultIdsAndBlankLinesSkipped() throws IOException {
    Path file =
        write(
            "mine.jsonl",
            "{\"id\":\"a\",\"problem\":\"1+1?\",\"solution\":\"1+1=2\\n\\n\\\\boxed{2}\",\"answer\":\"2\"}\n"
                + "\n"
                + "   \n"
                + "{\"problem\":\"Half of 1?\",\"answer\":0.50,\"extra\":[1]}\n"
                + "{\"id\":7,\"problem\":\"3*4?\",\"solution\":\"\",\"answer\":12}\n");
    List<Problem> problems = new JsonlProblemSource(file).load();
    assertEquals(
        List.of(
            new Problem("a", "1+1?", "1+1=2\n\n\\boxed{2}", "2"),
            new Problem("mine-4", "Half of 1?", "", "0.50"),
            new Problem("7", "3*4?", "", "12")),
        problems);
    assertEquals(file.toString(), new JsonlProblemSource(file).name());
  }

  @Test
  void load_limit_readsOnlyThatMany() throws IOException {
    Path file =
        write(
            "three.jsonl",
            "{\"problem\":\"a\",\"answer\":\"1\"}\n{\"problem\":\"b\",\"answer\":\"2\"}\n"
                + "not even json\n");
    List<Problem> problems = new JsonlProblemSource(file, JsonlFormat.RLFT, 2).load();
    assertEquals(List.of("three-1", "three-2"), problems.stream().map(Problem::id).toList());
  }

  @Test
  void load_crlfAndByteOrderMark_readAsPlainLines() throws IOException {
    Path file =
        write("bom.jsonl", "\uFEFF{\"problem\":\"a\",\"answer\":\"1\"}\r\n{\"problem\":\"b\",\"answer\":\"2\"}");
    List<Problem> problems = new JsonlProblemSource(file).load();
    assertEquals(List.of("1", "2"), problems.stream().map(Problem::answer).toList());
  }

  @Test
  void load_gsm8kExcerpt_convertsToOurShape() {
    List<Problem> problems = new JsonlProblemSource(resource("gsm8k/test_head20.jsonl")).load();
    assertEquals(20, problems.size());
    Problem first = problems.get(0);
    assertEquals("test_head20-1", first.id());
    assertTrue(first.problem().startsWith("Janet\u2019s ducks lay 16 eggs per day."));
    assertEquals("18", first.answer());
    assertEquals(
        "Janet sells 16 - 3 - 4 = 9 duck eggs a day.\n\n"
            + "She makes 9 * 2 = $18 every day at the farmer\u2019s market.\n\n"
            + "\\boxed{18}",
        first.solution());
    // "$<<80000+50000=130000>>130,000" and "#### 70000": commas only leave the answer.
    assertEquals("70000", problems.get(2).answer());
    for (Problem p : problems) {
      assertFalse(p.solution().contains("<<") || p.solution().contains(">>"), p.solution());
      assertFalse(p.solution().contains("####"), p.solution());
      List<String> steps = Steps.split(p.solution());
      assertEquals("\\boxed{" + p.answer() + "}", steps.get(steps.size() - 1));
      assertEquals(String.join("\n\n", steps), p.solution());
    }
  }

  @Test
  void load_gsm8kExplicitFormat_sameAsAuto() {
    Path file = resource("gsm8k/test_head20.jsonl");
    assertEquals(
        new JsonlProblemSource(file).load(),
        new JsonlProblemSource(file, JsonlFormat.GSM8K, JsonlProblemSource.UNLIMITED).load());
  }

  @Test
  void gsm8kSolution_calculatorAnnotationsAndBlankLines_removed() {
    assertEquals(
        "Natalia sold 48/2 = 24 clips in May.\n\n"
            + "Natalia sold 48+24 = 72 clips altogether in April and May.\n\n\\boxed{72}",
        JsonlProblemSource.gsm8kSolution(
            "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n\n"
                + "Natalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n",
            "72"));
  }

  @Test
  void load_mathExcerpt_idsFromUniqueId() {
    List<Problem> problems = new JsonlProblemSource(resource("math/math500_test_head20.jsonl")).load();
    assertEquals(20, problems.size());
    assertEquals("test/precalculus/807.json", problems.get(0).id());
    assertEquals("\\frac{14}{3}", problems.get(2).answer());
    assertTrue(problems.get(2).solution().endsWith("\\boxed{\\frac{14}{3}}$"));
  }

  @Test
  void load_mathFormatWithoutUniqueId_defaultsId() throws IOException {
    Path file =
        write("m.jsonl", "{\"problem\":\"p\",\"solution\":\"$\\\\boxed{2}$\",\"answer\":\"2\",\"idx\":0}\n");
    Problem p = new JsonlProblemSource(file, JsonlFormat.MATH, 10).load().get(0);
    assertEquals("m-1", p.id());
  }

  @Test
  void load_rlftLineReadAsGsm8k_missingQuestion() throws IOException {
    Path file = write("x.jsonl", "{\"problem\":\"a\",\"answer\":\"1\"}\n");
    DatasetException e =
        assertThrows(
            DatasetException.class,
            () -> new JsonlProblemSource(file, JsonlFormat.GSM8K, 10).load());
    assertEquals(file + ":1: missing field \"question\"", e.getMessage());
  }

  @Test
  void load_malformedJson_messageNamesFileAndLine() throws IOException {
    Path file = write("x.jsonl", "{\"problem\":\"a\",\"answer\":\"1\"}\n\n{\"problem\": \"b\",\n");
    DatasetException e = loadFails(file);
    assertTrue(e.getMessage().startsWith(file + ":3: malformed JSON"), e.getMessage());
  }

  @Test
  void load_trailingGarbage_isMalformed() throws IOException {
    Path file = write("x.jsonl", "{\"problem\":\"a\",\"answer\":\"1\"} 5\n");
    assertTrue(loadFails(file).getMessage().startsWith(file + ":1: malformed JSON"));
  }

  @Test
  void load_duplicateKey_isMalformed() throws IOException {
    Path file = write("x.jsonl", "{\"problem\":\"a\",\"answer\":\"1\",\"answer\":\"2\"}\n");
    assertTrue(loadFails(file).getMessage().startsWith(file + ":1: malformed JSON"));
  }

  @Test
  void load_missingAnswer_messageNamesField() throws IOException {
    Path file =
        write(
            "x.jsonl",
            "{\"problem\":\"a\",\"answer\":\"1\"}\n{\"problem\":\"b\",\"answer\":\"2\"}\n"
                + "{\"problem\":\"c\",\"solution\":\"s\"}\n");
    assertEquals(file + ":3: missing field \"answer\"", loadFails(file).getMessage());
  }

  @Test
  void load_wrongType_messageNamesFieldAndType() throws IOException {
    Path file = write("x.jsonl", "{\"problem\":5,\"answer\":\"1\"}\n");
    assertEquals(
        file + ":1: field \"problem\" must be a string, got number", loadFails(file).getMessage());
    Path answer = write("y.jsonl", "{\"problem\":\"p\",\"answer\":[1]}\n");
    assertEquals(
        answer + ":1: field \"answer\" must be a string or number, got array",
        loadFails(answer).getMessage());
  }

  @Test
  void load_blankAnswer_rejected() throws IOException {
    Path file = write("x.jsonl", "{\"problem\":\"p\",\"answer\":\"  \"}\n");
    assertEquals(file + ":1: field \"answer\" is blank", loadFails(file).getMessage());
  }

  @Test
  void load_notAnObject_rejected() throws IOException {
    Path file = write("x.jsonl", "[1, 2]\n");
    assertEquals(file + ":1: expected a JSON object, got array", loadFails(file).getMessage());
  }

  @Test
  void load_duplicateId_namesBothLines() throws IOException {
    Path file =
        write(
            "x.jsonl",
            "{\"id\":\"a\",\"problem\":\"p\",\"answer\":\"1\"}\n{\"id\":\"a\",\"problem\":\"q\",\"answer\":\"2\"}\n");
    assertEquals(file + ":2: duplicate id \"a\" (first on line 1)", loadFails(file).getMessage());
  }

  @Test
  void load_gsm8kWithoutFinalAnswer_rejected() throws IOException {
    Path file = write("g.jsonl", "{\"question\":\"q\",\"answer\":\"It is 5.\"}\n");
    assertEquals(
        file + ":1: field \"answer\" has no \"####\" final answer", loadFails(file).getMessage());
    Path empty = write("h.jsonl", "{\"question\":\"q\",\"answer\":\"It is 5.\\n#### \"}\n");
    assertEquals(
        empty + ":1: field \"answer\" has nothing after \"####\"", loadFails(empty).getMessage());
  }

  @Test
  void load_invalidUtf8_namesTheLine() throws IOException {
    Path file = dir.resolve("bad.jsonl");
    byte[] good = "{\"problem\":\"a\",\"answer\":\"1\"}\n".getBytes(StandardCharsets.UTF_8);
    byte[] bad = {'{', '"', 'p', '"', ':', '"', (byte) 0xC3, '(', '"', '}', '\n'};
    byte[] all = new byte[good.length + bad.length];
    System.arraycopy(good, 0, all, 0, good.length);
    System.arraycopy(bad, 0, all, good.length, bad.length);
    Files.write(file, all);
    assertEquals(file + ":2: not valid UTF-8", loadFails(file).getMessage());
  }

  @Test
  void load_missingFile_messageNamesPath() {
    Path file = dir.resolve("nope/missing.jsonl");
    DatasetException e = loadFails(file);
    assertEquals(file + ": no such file", e.getMessage());
  }

  @Test
  void constructor_limitBelowOne_throws() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new JsonlProblemSource(dir.resolve("x.jsonl"), JsonlFormat.AUTO, 0));
    assertEquals("limit must be >= 1, got 0", e.getMessage());
  }

  @Test
  void formatParse_knownAndUnknownNames() {
    assertEquals(JsonlFormat.GSM8K, JsonlFormat.parse(" gsm8k "));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> JsonlFormat.parse("csv"));
    assertEquals("unknown JSONL format 'csv'; valid names: auto, rlft, gsm8k, math", e.getMessage());
  }
}
