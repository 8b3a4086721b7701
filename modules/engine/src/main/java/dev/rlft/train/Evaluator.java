package dev.rlft.train;

import ai.djl.ndarray.NDManager;
import dev.rlft.data.Problem;
import dev.rlft.model.Generation;
import dev.rlft.model.LlamaModel;
import dev.rlft.model.PromptTemplate;
import dev.rlft.model.Sampler;
import dev.rlft.model.SamplingParams;
import dev.rlft.model.Tokenizer;
import dev.rlft.reward.RewardFunction;
import dev.rlft.reward.RewardResult;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Held-out evaluation: accuracy of sampled completions (pass@1 averaged over {@code samples}
 * draws per problem), pass@{@code samples}, and greedy accuracy.
 */
public final class Evaluator {

  /**
   * Evaluation settings.
   *
   * @param samples completions drawn per problem at {@code temperature}
   * @param temperature sampling temperature for pass@1 / pass@k
   * @param greedy whether to also decode greedily once per problem
   */
  public record Config(int samples, float temperature, boolean greedy, int maxNewTokens, int batchSize, long seed) {
    public Config {
      if (samples < 1) {
        throw new IllegalArgumentException("eval.samples must be >= 1, got " + samples);
      }
      if (!(temperature > 0)) {
        throw new IllegalArgumentException("eval.temperature must be > 0, got " + temperature);
      }
      if (maxNewTokens < 1 || batchSize < 1) {
        throw new IllegalArgumentException("eval max-new-tokens and batch-size must be >= 1");
      }
    }
  }

  /** One evaluated completion, kept for display. */
  public record Sample(String problemId, String completion, String answer, String extracted, boolean correct) {}

  /**
   * Results.
   *
   * @param accuracy mean over problems of the fraction of sampled completions that are correct
   * @param passAtK fraction of problems with at least one correct sampled completion
   * @param greedyAccuracy accuracy of greedy decoding, or NaN when not measured
   */
  public record Result(int problems, int samples, double accuracy, double passAtK, double greedyAccuracy,
      double meanCompletionTokens, List<Sample> examples) {}

  private Evaluator() {}

  public static Result run(LlamaModel model, Tokenizer tokenizer, PromptTemplate template, RewardFunction reward,
      List<Problem> problems, Config cfg, NDManager scope, IntConsumer progress) {
    int n = problems.size();
    if (n == 0) {
      throw new IllegalArgumentException("evaluation set is empty");
    }
    int[] correct = new int[n];
    long tokens = 0;
    List<Sample> examples = new ArrayList<>();
    List<int[]> jobs = new ArrayList<>(); // {problem index, sample index}
    for (int i = 0; i < n; i++) {
      for (int s = 0; s < cfg.samples(); s++) {
        jobs.add(new int[] {i, s});
      }
    }
    int done = 0;
    for (int from = 0; from < jobs.size(); from += cfg.batchSize()) {
      List<int[]> chunk = jobs.subList(from, Math.min(jobs.size(), from + cfg.batchSize()));
      List<int[]> prompts = new ArrayList<>(chunk.size());
      for (int[] job : chunk) {
        prompts.add(template.encode(tokenizer, problems.get(job[0]).problem()));
      }
      SamplingParams sp = new SamplingParams(cfg.temperature(), 1f, 0, cfg.maxNewTokens(), cfg.seed() * 1_000_003L + from);
      List<Generation> gens = Sampler.generate(model, prompts, sp, tokenizer.eosId(), scope);
      for (int k = 0; k < chunk.size(); k++) {
        Problem p = problems.get(chunk.get(k)[0]);
        String text = tokenizer.decode(gens.get(k).tokens());
        RewardResult r = reward.score(text, p.answer());
        tokens += gens.get(k).tokens().length;
        if (r.correct()) {
          correct[chunk.get(k)[0]]++;
        }
        if (chunk.get(k)[1] == 0 && examples.size() < 20) {
          examples.add(new Sample(p.id(), text, p.answer(), r.extracted(), r.correct()));
        }
      }
      done += chunk.size();
      if (progress != null) {
        progress.accept(done);
      }
    }
    double acc = 0;
    int pass = 0;
    for (int c : correct) {
      acc += c / (double) cfg.samples();
      pass += c > 0 ? 1 : 0;
    }
    double greedy = Double.NaN;
    if (cfg.greedy()) {
      int ok = 0;
      for (int from = 0; from < n; from += cfg.batchSize()) {
        List<Problem> chunk = problems.subList(from, Math.min(n, from + cfg.batchSize()));
        List<int[]> prompts = new ArrayList<>();
        for (Problem p : chunk) {
          prompts.add(template.encode(tokenizer, p.problem()));
        }
        List<Generation> gens = Sampler.generate(model, prompts, SamplingParams.greedy(cfg.maxNewTokens()),
            tokenizer.eosId(), scope);
        for (int k = 0; k < chunk.size(); k++) {
          if (reward.score(tokenizer.decode(gens.get(k).tokens()), chunk.get(k).answer()).correct()) {
            ok++;
          }
        }
      }
      greedy = ok / (double) n;
    }
    return new Result(n, cfg.samples(), acc / n, pass / (double) n, greedy, tokens / (double) jobs.size(), examples);
  }
}
