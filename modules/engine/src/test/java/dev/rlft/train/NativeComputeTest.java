package dev.rlft.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import dev.rlft.data.Problem;
import dev.rlft.model.LlamaModel;
import dev.rlft.model.LoraConfig;
import dev.rlft.model.ModelConfig;
import dev.rlft.model.PromptTemplate;
import dev.rlft.model.Sampler;
import dev.rlft.model.SamplingParams;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Training while another thread samples gives the same gradients as training alone; native work
 * runs concurrently by default ({@link dev.rlft.model.NativeCompute}). Before {@link
 * dev.rlft.model.Scalars}, about one backward pass in four to ten came out corrupted in this
 * setting (infinite or 1e22 gradient norms): the sampler's allocations reused the memory of
 * constants autograd still needed.
 */
class NativeComputeTest {

  @Test
  void updatesWhileAnotherThreadSamples_haveIdenticalGradients() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeFalse(dev.rlft.model.NativeCompute.serialized(),
        "native work takes turns in this JVM (-Drlft.serialize-native=true): nothing runs concurrently");
    TinyModel.useOneTorchThread();
    ModelConfig c = new ModelConfig(TinyModel.TOKENIZER.vocabSize(), 64, 2, 4, 4, 172, 192, 10000f, 1e-5f, true);
    AdamW.Config frozen = new AdamW.Config(0.9f, 0.95f, 1e-8f, 0f, 0f);
    List<Problem> batch = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      batch.add(new Problem("p" + i, "Ann has " + i + " pens. She buys 4 more. How many pens now?",
          i + "+4=" + (i + 4) + "\n\n\\boxed{" + (i + 4) + "}", Integer.toString(i + 4)));
    }
    try (NDManager root = NDManager.newBaseManager()) {
      Map<String, float[]> w;
      try (LlamaModel init = LlamaModel.initialize(c, 1, root, false)) {
        w = init.exportWeights();
      }
      LoraConfig lora = new LoraConfig(8, 16f, 0f, Set.copyOf(LoraConfig.MODULES));
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger sampled = new AtomicInteger();
      try (LlamaModel policy = LlamaModel.withLora(c, w, lora, null, 3, root, true);
          LlamaModel rollout = LlamaModel.fromWeights(c, w, root, false);
          AdamW opt = new AdamW(policy.trainableParameters(), frozen, root)) {
        Thread sampler = new Thread(() -> {
          List<int[]> prompts = new ArrayList<>();
          for (int i = 0; i < 32; i++) {
            prompts.add(PromptTemplate.PLAIN.encode(TinyModel.TOKENIZER, "Bo has " + i + " figs."));
          }
          while (!stop.get()) {
            Sampler.generate(rollout, prompts, new SamplingParams(1f, 1f, 0, 24, sampled.incrementAndGet()), 2, root);
          }
        });
        sampler.start();
        SftTrainer sft = new SftTrainer(policy, opt, TinyModel.TOKENIZER, PromptTemplate.PLAIN, LrSchedule.constant(0f));
        List<Float> norms = new ArrayList<>();
        try {
          for (int i = 0; i < 24; i++) {
            norms.add(sft.step(batch).gradNorm());
            Thread.sleep(5); // let the sampler in between updates
          }
        } finally {
          stop.set(true);
          sampler.join();
        }
        for (float n : norms) {
          assertEquals(norms.get(0), n, 0f, "gradient norms of identical updates: " + norms);
        }
        org.junit.jupiter.api.Assertions.assertTrue(sampled.get() > 1, "the sampler ran alongside");
      }
    }
  }
}
