package dev.rlft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code rlft verify}: one verdict per input line, in order, malformed lines reported, ids looked up. */
class VerifyCommandTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  @Test
  void verify_writesOneVerdictPerLineInOrder_andPrintsAccuracy() throws IOException {
    Path in = tmp.resolve("in.jsonl");
    Files.write(in, List.of(
        "{\"gold\": \"\\\\frac{1}{2}\", \"pred\": \"so \\\\boxed{0.5}\"}",
        "{\"gold\": \"72\", \"pred\": \"48 + 24 = 72\\n#### 72\"}",
        "{\"gold\": \"3\", \"pred\": \"答えは 4 です\"}",
        "{broken",
        "{\"id\": \"p2\", \"pred\": \"The final answer is $\\\\sqrt{4}$.\"}",
        "{\"id\": \"nope\", \"pred\": \"1\"}"));
    Path data = tmp.resolve("data.jsonl");
    Files.write(data, List.of("{\"id\": \"p1\", \"answer\": \"1\"}", "{\"id\": \"p2\", \"answer\": \"2\"}"));
    Path out = tmp.resolve("out.jsonl");

    CliRun run = CliRun.of("verify", "--input", in.toString(), "--output", out.toString(), "--dataset", data.toString());

    assertEquals(0, run.exitCode(), run::toString);
    List<String> lines = Files.readAllLines(out);
    assertEquals(6, lines.size());
    boolean[] expected = {true, true, false, false, true, false};
    for (int i = 0; i < lines.size(); i++) {
      JsonNode n = JSON.readTree(lines.get(i));
      assertEquals(i + 1, n.get("line").asInt());
      assertEquals(expected[i], n.get("equal").asBoolean(), lines.get(i));
      assertTrue(n.has("extracted") && n.has("reason"), lines.get(i));
    }
    assertTrue(JSON.readTree(lines.get(3)).get("reason").asText().startsWith("malformed input"));
    assertTrue(JSON.readTree(lines.get(5)).get("reason").asText().contains("unknown id"));
    assertTrue(run.out().contains("accuracy 0.7500 (3 of 4 checked lines equal)"), run::toString);
  }

  @Test
  void verify_missingInput_isAOneLineError() {
    CliRun run = CliRun.of("verify", "--input", tmp.resolve("none.jsonl").toString(), "--output",
        tmp.resolve("o.jsonl").toString());
    assertEquals(2, run.exitCode(), run::toString);
    assertTrue(run.errorLines().get(0).contains("none.jsonl"), run::toString);
  }
}
