package dev.rlft.cli;

import ai.djl.ndarray.NDManager;
import dev.rlft.checkpoint.Checkpoint;
import dev.rlft.model.Generation;
import dev.rlft.model.LlamaModel;
import dev.rlft.model.PromptTemplate;
import dev.rlft.model.Sampler;
import dev.rlft.model.SamplingParams;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code rlft generate}: sample completions of a prompt from a checkpoint. */
@Command(name = "generate", mixinStandardHelpOptions = true, description = "Sample completions from a checkpoint.")
final class GenerateCommand implements Callable<Integer> {

  @Option(names = "--checkpoint", required = true, paramLabel = "DIR") Path checkpoint;
  @Option(names = "--prompt", required = true, description = "problem text") String prompt;
  @Option(names = {"-n", "--num"}, description = "completions (default ${DEFAULT-VALUE})") int n = 1;
  @Option(names = "--temperature", description = "0 = greedy (default ${DEFAULT-VALUE})") float temperature = 0f;
  @Option(names = "--top-p", description = "nucleus mass (default ${DEFAULT-VALUE})") float topP = 1f;
  @Option(names = "--max-new-tokens", description = "(default ${DEFAULT-VALUE})") int maxNewTokens = 64;
  @Option(names = "--seed", description = "(default ${DEFAULT-VALUE})") long seed = 1;
  @Option(names = "--template", description = "prompt template (default ${DEFAULT-VALUE})") String template = "plain";

  @Override
  public Integer call() throws Exception {
    if (n < 1) {
      throw new IllegalArgumentException("-n must be >= 1, got " + n);
    }
    Torch.configure(0);
    Checkpoint ckpt = Checkpoint.load(checkpoint);
    PromptTemplate t = PromptTemplate.parse(template);
    List<int[]> prompts = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      prompts.add(t.encode(ckpt.tokenizer(), prompt));
    }
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel model = LlamaModel.fromWeights(ckpt.model(), ckpt.weights(), root, false)) {
      List<Generation> gens = Sampler.generate(model, prompts, new SamplingParams(temperature, topP, 0, maxNewTokens,
          seed), ckpt.tokenizer().eosId(), root);
      for (int i = 0; i < gens.size(); i++) {
        if (n > 1) {
          System.out.println("--- completion " + (i + 1) + " (" + gens.get(i).finish() + ")");
        }
        System.out.println(ckpt.tokenizer().decode(gens.get(i).tokens()));
      }
    }
    return 0;
  }
}
