package dev.rlft.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.rlft.data.Problem;
import dev.rlft.model.LlamaModel;
import dev.rlft.model.PromptTemplate;
import dev.rlft.model.TokenLogProbs;
import dev.rlft.model.Tokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * Supervised fine-tuning on reference solutions: next-token cross-entropy on the solution tokens
 * (and the closing EOS) only, averaged over those tokens in the batch; the prompt is context.
 */
public final class SftTrainer {

  /** What one SFT step did. */
  public record StepResult(long step, float loss, float lr, float gradNorm, int tokens) {}

  private final LlamaModel model;
  private final AdamW optimizer;
  private final Tokenizer tokenizer;
  private final PromptTemplate template;
  private final LrSchedule schedule;

  public SftTrainer(LlamaModel model, AdamW optimizer, Tokenizer tokenizer, PromptTemplate template, LrSchedule schedule) {
    if (!model.trainable()) {
      throw new IllegalArgumentException("SFT needs a trainable model");
    }
    this.model = model;
    this.optimizer = optimizer;
    this.tokenizer = tokenizer;
    this.template = template;
    this.schedule = schedule;
  }

  /** BOS + prompt + solution + EOS, with targets starting at the solution. */
  public static SequenceBatch encode(List<Problem> problems, Tokenizer tokenizer, PromptTemplate template, int maxLen) {
    List<int[]> seqs = new ArrayList<>(problems.size());
    int[] starts = new int[problems.size()];
    for (int i = 0; i < problems.size(); i++) {
      Problem p = problems.get(i);
      int[] prompt = template.encode(tokenizer, p.problem());
      int[] solution = tokenizer.encode(p.solution());
      int len = prompt.length + solution.length + 1;
      if (len > maxLen) {
        throw new IllegalArgumentException("problem " + p.id() + " is " + len
            + " tokens with its solution, over the model's max sequence length " + maxLen);
      }
      int[] seq = new int[len];
      System.arraycopy(prompt, 0, seq, 0, prompt.length);
      System.arraycopy(solution, 0, seq, prompt.length, solution.length);
      seq[len - 1] = tokenizer.eosId();
      seqs.add(seq);
      starts[i] = prompt.length;
    }
    return new SequenceBatch(seqs, starts);
  }

  /** One optimizer step on {@code batch}; every intermediate array is freed before return. */
  public StepResult step(List<Problem> batch) {
    return dev.rlft.model.NativeCompute.run(() -> stepLocked(batch));
  }

  private StepResult stepLocked(List<Problem> batch) {
    SequenceBatch seqs = encode(batch, tokenizer, template, model.config().maxSeqLen());
    float lr = schedule.at(optimizer.steps() + 1);
    float loss;
    try (NDManager step = model.manager().getParentManager().newSubManager();
        GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      NDArray tokens = seqs.tokens(step, tokenizer.padId());
      NDArray mask = seqs.mask(step);
      NDArray logp;
      model.setTraining(true);
      try {
        logp = TokenLogProbs.of(model, tokens, 1f, false).logp();
      } finally {
        model.setTraining(false);
      }
      NDArray nll = logp.mul(mask).sum().neg().div(mask.sum());
      gc.backward(nll);
      loss = nll.getFloat();
    }
    float norm = optimizer.step(lr);
    return new StepResult(optimizer.steps(), loss, lr, norm, seqs.targetCount());
  }
}
