package dev.rlft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rlft.verify.AnswerChecker;
import dev.rlft.verify.CheckerConfig;
import dev.rlft.verify.Verdict;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code rlft verify}: checks predictions against gold answers with the Math-Verify-parity checker,
 * one output line per input line, in order.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
    description = "Check predicted answers against gold answers (Math-Verify semantics). Input lines: "
        + "{\"gold\": ..., \"pred\": ...}, or {\"id\": ..., \"pred\": ...} with --dataset. Output: one JSON line per "
        + "input line with equal, extracted, gold_normalized, reason and rule; accuracy on stdout.")
final class VerifyCommand implements Callable<Integer> {

  @Option(names = "--input", required = true, paramLabel = "JSONL", description = "predictions")
  Path input;

  @Option(names = "--output", required = true, paramLabel = "JSONL", description = "verdicts, one per input line")
  Path output;

  @Option(names = "--dataset", paramLabel = "JSONL",
      description = "gold answers by id (fields: id and answer; GSM8K \"#### N\" answers are read too)")
  Path dataset;

  @Option(names = "--timeout", description = "per check (default ${DEFAULT-VALUE})") Duration timeout = Duration.ofSeconds(2);
  @Option(names = "--threads", description = "checks at once; 0 = one per core (default ${DEFAULT-VALUE})") int threads = 0;

  private static final ObjectMapper JSON = new ObjectMapper();

  /** A parsed input line: gold and prediction, or why the line cannot be checked. */
  private record Item(String gold, String pred, String id, String error) {}

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(input)) {
      throw new IllegalArgumentException(input + ": no such file");
    }
    Map<String, String> golds = dataset == null ? Map.of() : readDataset(dataset);
    List<String> lines = Files.readAllLines(input, StandardCharsets.UTF_8);
    List<Item> items = new ArrayList<>(lines.size());
    for (int i = 0; i < lines.size(); i++) {
      items.add(parse(lines.get(i), i + 1, golds));
    }
    int n = threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
    if (n < 1) {
      throw new IllegalArgumentException("--threads must be >= 0, got " + threads);
    }
    long start = System.nanoTime();
    int equal = 0;
    int checked = 0;
    int skipped = 0;
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try (AnswerChecker checker = AnswerChecker.create(CheckerConfig.defaults().withTimeout(timeout));
        BufferedWriter out = Files.newBufferedWriter(output, StandardCharsets.UTF_8)) {
      List<Future<Verdict>> verdicts = new ArrayList<>(items.size());
      for (Item item : items) {
        verdicts.add(item.error() == null ? pool.submit(() -> checker.check(item.gold(), item.pred())) : null);
      }
      for (int i = 0; i < items.size(); i++) {
        Item item = items.get(i);
        ObjectNode o = JSON.createObjectNode();
        o.put("line", i + 1);
        if (item.id() != null) {
          o.put("id", item.id());
        }
        if (item.error() != null) {
          o.put("equal", false);
          o.putNull("extracted");
          o.put("reason", item.error());
          skipped++;
        } else {
          Verdict v = verdicts.get(i).get();
          o.put("equal", v.equal());
          o.put("extracted", v.extracted());
          o.put("gold_normalized", v.goldNormalized());
          o.put("reason", v.reason());
          o.put("rule", v.rule());
          equal += v.equal() ? 1 : 0;
          checked++;
        }
        out.write(JSON.writeValueAsString(o));
        out.newLine();
      }
    } finally {
      pool.shutdownNow();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf("accuracy %.4f (%d of %d checked lines equal)%s; %.1f s, verdicts in %s%n",
        checked == 0 ? 0.0 : (double) equal / checked, equal, checked,
        skipped > 0 ? "; " + skipped + " malformed lines (see their reason)" : "", seconds, output);
    return 0;
  }

  private static Item parse(String line, int number, Map<String, String> golds) {
    if (line.isBlank()) {
      return new Item(null, null, null, "malformed input: blank line");
    }
    JsonNode n;
    try {
      n = JSON.readTree(line);
    } catch (IOException e) {
      return new Item(null, null, null, "malformed input: not JSON (" + firstLine(e.getMessage()) + ")");
    }
    if (n == null || !n.isObject()) {
      return new Item(null, null, null, "malformed input: not a JSON object");
    }
    String id = n.hasNonNull("id") ? n.get("id").asText() : null;
    if (!n.hasNonNull("pred")) {
      return new Item(null, null, id, "malformed input: no \"pred\"");
    }
    String gold = n.hasNonNull("gold") ? n.get("gold").asText() : null;
    if (gold == null && id != null) {
      gold = golds.get(id);
      if (gold == null) {
        return new Item(null, null, id, golds.isEmpty() ? "malformed input: no \"gold\" (give --dataset to look ids up)"
            : "unknown id '" + id + "' in the dataset");
      }
    }
    if (gold == null) {
      return new Item(null, null, id, "malformed input: no \"gold\" and no \"id\"");
    }
    return new Item(gold, n.get("pred").asText(), id, null);
  }

  private static String firstLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("");
  }

  /** id to answer; an answer in GSM8K's "... #### N" form is kept whole (the checker reads "#### N"). */
  private static Map<String, String> readDataset(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(file + ": no such file");
    }
    Map<String, String> out = new HashMap<>();
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).isBlank()) {
        continue;
      }
      JsonNode n;
      try {
        n = JSON.readTree(lines.get(i));
      } catch (IOException e) {
        throw new IllegalArgumentException(file + ":" + (i + 1) + ": not JSON");
      }
      String id = n.hasNonNull("id") ? n.get("id").asText() : n.hasNonNull("unique_id") ? n.get("unique_id").asText()
          : Integer.toString(i + 1);
      if (!n.hasNonNull("answer")) {
        throw new IllegalArgumentException(file + ":" + (i + 1) + ": no \"answer\"");
      }
      out.put(id, n.get("answer").asText());
    }
    return out;
  }
}
