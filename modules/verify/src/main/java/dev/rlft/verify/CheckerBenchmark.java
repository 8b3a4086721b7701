package dev.rlft.verify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Throughput of {@link AnswerChecker#check} on MATH-500 reference solutions, on one thread and on
 * N threads.
 *
 * <p>Two workloads: "matching" compares each solution with its own answer (the checker must find
 * them equal), "mismatched" compares each solution with the next problem's answer (not equal,
 * which usually costs more: the fast exact paths fail and Symja is asked). Reported per core:
 * checks per second divided by the number of threads.
 *
 * <pre>
 * cd modules/verify
 * mvn -q -o compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -cp target/classes:$(cat target/cp.txt) dev.rlft.verify.CheckerBenchmark \
 *     src/test/resources/math/math500_test.jsonl [threads] [seconds]
 * </pre>
 */
public final class CheckerBenchmark {
  private CheckerBenchmark() {}

  private record Pair(String gold, String prediction) {}

  public static void main(String[] args) throws Exception {
    Path data = Path.of(args.length > 0 ? args[0] : "src/test/resources/math/math500_test.jsonl");
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : Runtime.getRuntime().availableProcessors();
    double seconds = args.length > 2 ? Double.parseDouble(args[2]) : 10;
    List<JsonNode> items = read(data);
    List<Pair> matching = new ArrayList<>();
    List<Pair> mismatched = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      String solution = items.get(i).get("solution").asText();
      matching.add(new Pair(items.get(i).get("answer").asText(), solution));
      mismatched.add(new Pair(items.get((i + 1) % items.size()).get("answer").asText(), solution));
    }
    System.out.printf("MATH-500 reference solutions: %d items, %d cores, timeout %s%n", items.size(),
        Runtime.getRuntime().availableProcessors(), CheckerConfig.defaults().timeout());
    long initStart = System.nanoTime();
    try (AnswerChecker checker = AnswerChecker.create()) {
      System.out.printf("checker creation (Symja start-up): %.2f s%n", (System.nanoTime() - initStart) / 1e9);
      int equal = 0;
      for (Pair p : matching) {
        equal += checker.check(p.gold(), p.prediction()).equal() ? 1 : 0;
      }
      for (Pair p : mismatched) {
        checker.check(p.gold(), p.prediction());
      }
      System.out.printf("warm-up pass: %d/%d matching pairs equal%n", equal, matching.size());
      for (String name : List.of("matching", "mismatched")) {
        List<Pair> work = name.equals("matching") ? matching : mismatched;
        report(name, 1, run(checker, work, 1, seconds));
        if (threads > 1) {
          report(name, threads, run(checker, work, threads, seconds));
        }
      }
    }
    System.exit(0);
  }

  private record Result(long checks, double seconds, long[] latenciesNanos) {}

  private static Result run(AnswerChecker checker, List<Pair> work, int threads, double seconds) throws Exception {
    long end = System.nanoTime() + (long) (seconds * 1e9);
    AtomicLong total = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    long start = System.nanoTime();
    List<Future<List<Long>>> futures = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int offset = t * work.size() / threads;
      futures.add(pool.submit(() -> {
        List<Long> lat = new ArrayList<>();
        int i = offset;
        while (System.nanoTime() < end) {
          Pair p = work.get(i++ % work.size());
          long t0 = System.nanoTime();
          checker.check(p.gold(), p.prediction());
          lat.add(System.nanoTime() - t0);
          total.incrementAndGet();
        }
        return lat;
      }));
    }
    List<Long> all = new ArrayList<>();
    for (Future<List<Long>> f : futures) {
      all.addAll(f.get());
    }
    double took = (System.nanoTime() - start) / 1e9;
    pool.shutdown();
    long[] lat = all.stream().mapToLong(Long::longValue).toArray();
    Arrays.sort(lat);
    return new Result(total.get(), took, lat);
  }

  private static void report(String name, int threads, Result r) {
    double rate = r.checks() / r.seconds();
    long[] l = r.latenciesNanos();
    System.out.printf("%-10s %2d thread(s): %8.1f checks/s total, %8.1f checks/s per thread;"
            + " latency p50 %.2f ms, p99 %.2f ms, max %.1f ms (%d checks)%n",
        name, threads, rate, rate / threads, l[l.length / 2] / 1e6, l[(int) (l.length * 0.99)] / 1e6,
        l[l.length - 1] / 1e6, r.checks());
  }

  private static List<JsonNode> read(Path path) throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(path, StandardCharsets.UTF_8)) {
      if (!line.isBlank()) {
        out.add(json.readTree(line));
      }
    }
    return out;
  }
}
