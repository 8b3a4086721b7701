package dev.rlft.cli;

import ai.djl.ndarray.NDManager;
import dev.rlft.checkpoint.ModelSource;
import dev.rlft.model.Devices;
import dev.rlft.model.ModelConfig;
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

/** {@code rlft generate}: sample completions of a prompt from a checkpoint or a Hugging Face model folder. */
@Command(name = "generate", mixinStandardHelpOptions = true,
    description = "Sample completions from an rlft checkpoint or a Hugging Face model folder.")
final class GenerateCommand implements Callable<Integer> {

  @Option(names = "--checkpoint", required = true, paramLabel = "DIR",
      description = "rlft checkpoint folder or Hugging Face model folder") Path checkpoint;
  @Option(names = "--system-prompt", description = "ChatML system turn (default: Qwen2.5's)") String systemPrompt;
  @Option(names = "--stop", description = "stop string (repeatable)") List<String> stop = new ArrayList<>();
  @Option(names = "--top-k", description = "keep the k most likely tokens; 0 = off (default ${DEFAULT-VALUE})") int topK = 0;
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
    ModelSource ckpt = ModelSource.load(checkpoint);
    PromptTemplate t = PromptTemplate.parse(template, systemPrompt);
    List<int[]> prompts = new ArrayList<>();
    List<List<String>> stops = new ArrayList<>();
    List<String> rowStops = new ArrayList<>(stop);
    if (t.endOfTurn() != null && !rowStops.contains(t.endOfTurn())) {
      rowStops.add(t.endOfTurn());
    }
    for (int i = 0; i < n; i++) {
      prompts.add(t.encode(ckpt.tokenizer(), prompt));
      stops.add(rowStops);
    }
    int promptLen = prompts.get(0).length;
    ModelConfig mc = ckpt.config();
    if (promptLen + maxNewTokens > mc.maxSeqLen()) {
      throw new IllegalArgumentException("prompt (" + promptLen + " tokens) + --max-new-tokens " + maxNewTokens
          + " exceeds the model's " + mc.maxSeqLen() + " positions");
    }
    try (NDManager root = Devices.newBaseManager();
        LlamaModel model = LlamaModel.fromWeights(mc, ckpt.weights(), root, false)) {
      List<Generation> gens = Sampler.generate(model, prompts, new SamplingParams(temperature, topP, topK, maxNewTokens,
          seed), new Sampler.Stops(ckpt.eosIds(), stops, ckpt.tokenizer()), root);
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
