package dev.rlft.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rlft.checkpoint.ModelSource;
import dev.rlft.data.Problem;
import dev.rlft.model.Devices;
import dev.rlft.model.LlamaModel;
import dev.rlft.reward.RewardFunction;
import dev.rlft.train.Evaluator;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code rlft eval}: held-out accuracy of a checkpoint. */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = "Measure a checkpoint's accuracy on held-out problems (embedded task or a JSONL file).")
final class EvalCommand implements Callable<Integer> {

  @Mixin ConfigOptions options;

  @Option(names = "--checkpoint", required = true, paramLabel = "DIR",
      description = "rlft checkpoint folder or Hugging Face model folder")
  Path checkpoint;

  @Option(names = "--data", paramLabel = "JSONL", description = "held-out problems (default: embedded held-out split)")
  String data;

  @Option(names = "--samples", description = "sampled completions per problem") Integer samples;
  @Option(names = "--temperature", description = "sampling temperature") Double temperature;
  @Option(names = "--limit", description = "evaluate at most this many problems") Integer limit;

  @Override
  public Integer call() throws Exception {
    options.flag("data.heldout", data == null ? null : TrainCommand.quote(data));
    options.flag("eval.samples", samples);
    options.flag("eval.temperature", temperature);
    options.flag("data.heldout-limit", limit);
    RunSettings s = RunSettings.from(options.resolve());
    Torch.configure(s.torchThreads());
    Devices.select(s.device());
    ModelSource ckpt = ModelSource.load(checkpoint);
    List<Problem> heldout = new TrainPipeline(s, options.resolve(), System.out).heldoutProblems();
    Evaluator.Result r;
    RewardFunction reward = s.reward(options.resolve());
    try (NDManager root = Devices.newBaseManager();
        LlamaModel model = LlamaModel.fromWeights(ckpt.config(), ckpt.weights(), root, false,
            Devices.inferenceType(s.dtype(), Devices.current()))) {
      r = Evaluator.run(model, ckpt.tokenizer(), s.template(), reward, heldout, s.eval(), root, null);
    } finally {
      if (reward instanceof AutoCloseable c) {
        c.close();
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("checkpoint", checkpoint.toString());
    out.put("heldout_accuracy", r.accuracy());
    out.put("heldout_pass_at_" + r.samples(), r.passAtK());
    out.put("heldout_greedy_accuracy", Double.isNaN(r.greedyAccuracy()) ? null : r.greedyAccuracy());
    out.put("heldout_problems", r.problems());
    System.out.println(new ObjectMapper().writeValueAsString(out));
    return 0;
  }
}
