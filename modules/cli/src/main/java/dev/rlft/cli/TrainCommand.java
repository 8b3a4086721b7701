package dev.rlft.cli;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code rlft train}: SFT, then GRPO, then held-out evaluation (the embedded default with no arguments). */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = {"Fine-tune a policy: SFT on reference solutions, then GRPO with the accuracy reward,",
        "evaluating on held-out problems after each phase. With no arguments: the embedded arithmetic task."})
class TrainCommand implements Callable<Integer> { // not final: `rlft node` (NodeCommand) takes the same flags

  enum Phase { all, sft, grpo, ppo }

  @Mixin ConfigOptions options;

  @Option(names = "--phase", description = "all (SFT then the RL phase of rl.algorithm, GRPO by default), sft, grpo "
      + "or ppo (the RL phase alone, from --init; ppo sets rl.algorithm=ppo); default: all, or the RL phase with --init")
  Phase phase;

  @Option(names = "--init", paramLabel = "DIR", description = "model to start from: an rlft checkpoint folder or a "
      + "Hugging Face model folder (config.json, safetensors, tokenizer)")
  Path init;

  @Option(names = "--lora", description = "train LoRA adapters instead of every weight (needs --init; see rlft.lora)")
  boolean lora;

  @Option(names = "--lora-rank", description = "adapter rank") Integer loraRank;
  @Option(names = "--system-prompt", description = "ChatML system turn (with --set prompt-template=chatml)")
  String systemPrompt;
  @Option(names = "--device", description = "auto, cpu, gpu or gpu:N") String device;

  @Option(names = "--control", description = "also run continued SFT for GRPO's wall time from the same SFT checkpoint")
  boolean control;

  @Option(names = "--resume", paramLabel = "RUN_DIR", description = "continue the interrupted RL phase (GRPO or PPO) "
      + "of a run folder from its last checkpoint (checkpoints/grpo-latest), with the run's config.conf as --config")
  Path resume;

  @Option(names = "--train-data", paramLabel = "JSONL", description = "training problems (default: embedded task)")
  String trainData;

  @Option(names = "--heldout-data", paramLabel = "JSONL", description = "held-out problems (default: embedded task)")
  String heldoutData;

  @Option(names = "--runs-dir", paramLabel = "DIR", description = "where run folders go (default: runs)")
  String runsDir;

  @Option(names = "--sft-steps", description = "SFT optimizer steps") Integer sftSteps;
  @Option(names = "--sft-lr", description = "SFT peak learning rate") Double sftLr;
  @Option(names = "--grpo-steps", description = "GRPO updates") Integer grpoSteps;
  @Option(names = "--grpo-lr", description = "GRPO learning rate") Double grpoLr;
  @Option(names = "--beta", description = "KL weight to the reference policy") Double beta;
  @Option(names = "--group-size", description = "completions per prompt (G)") Integer groupSize;
  @Option(names = "--prompts-per-step", description = "prompts per GRPO batch") Integer promptsPerStep;
  @Option(names = "--temperature", description = "GRPO sampling temperature") Double temperature;
  @Option(names = "--max-staleness", description = "weight versions a batch may lag the learner") Integer maxStaleness;
  @Option(names = "--flaw-rate", description = "embedded task: share of flawed reference steps") Double flawRate;

  @Option(names = "--dashboard", arity = "0..1", paramLabel = "PORT", fallbackValue = "-1",
      description = "serve the live dashboard (curves, actor health, samples, /metrics) on PORT "
          + "(default rlft.dashboard.port; 0 = any free port); the URL is printed")
  Integer dashboard;

  @Option(names = "--dashboard-host", paramLabel = "HOST",
      description = "address the dashboard binds (default 127.0.0.1; any other needs an access token)")
  String dashboardHost;

  @Option(names = "--dashboard-token", paramLabel = "TOKEN",
      description = "dashboard access token (or the RLFT_DASHBOARD_TOKEN environment variable)")
  String dashboardToken;

  @Option(names = "--management", arity = "0..1", paramLabel = "PORT", fallbackValue = "-1",
      description = "serve Pekko Management /alive and /ready (on a cluster node also /cluster/members) on PORT "
          + "(default rlft.management.port; 0 = any free port)")
  Integer management;

  @Override
  public Integer call() throws Exception {
    options.flag("data.train", trainData == null ? null : quote(trainData));
    options.flag("data.heldout", heldoutData == null ? null : quote(heldoutData));
    options.flag("runs-dir", runsDir == null ? null : quote(runsDir));
    options.flag("sft.steps", sftSteps);
    options.flag("sft.lr", sftLr);
    options.flag("grpo.steps", grpoSteps);
    options.flag("grpo.lr", grpoLr);
    options.flag("grpo.beta", beta);
    options.flag("grpo.group-size", groupSize);
    options.flag("grpo.prompts-per-step", promptsPerStep);
    options.flag("grpo.temperature", temperature);
    options.flag("grpo.max-staleness", maxStaleness);
    options.flag("task.flaw-rate", flawRate);
    options.flag("lora.enabled", lora ? Boolean.TRUE : null);
    options.flag("lora.rank", loraRank);
    options.flag("system-prompt", systemPrompt == null ? null : quote(systemPrompt));
    options.flag("model.device", device == null ? null : quote(device));
    options.flag("rl.algorithm", phase == Phase.ppo ? quote("ppo") : null);
    boolean phaseGiven = phase != null;
    operationsFlags();
    if (phase == null) {
      phase = init != null ? Phase.grpo : Phase.all; // with --init, the RL phase alone, of rl.algorithm
    }
    if (control && phase == Phase.sft) {
      throw new IllegalArgumentException("--control compares against GRPO; it cannot be used with --phase sft");
    }
    if (resume != null) {
      if (control || init != null) {
        throw new IllegalArgumentException("--resume continues a run as it was started; drop --control and --init");
      }
      if (!java.nio.file.Files.isDirectory(resume)) {
        throw new IllegalArgumentException("--resume: no run folder at " + resume);
      }
      if (options.configFile == null) {
        options.configFile = resume.resolve("config.conf");
      }
    }
    Config config = options.resolve();
    RunSettings settings = RunSettings.from(config);
    if (phaseGiven && (phase == Phase.grpo || phase == Phase.ppo)
        && !settings.algorithm().phase().equals(phase.name())) {
      throw new IllegalArgumentException("--phase " + phase + " contradicts rl.algorithm = "
          + settings.algorithm().phase() + " (use --phase " + settings.algorithm().phase() + ")");
    }
    Torch.configure(settings.torchThreads());
    boolean rlOnly = phase == Phase.grpo || phase == Phase.ppo;
    try (dev.rlft.dashboard.OpsNode ops = operations(config)) {
      TrainPipeline pipeline = pipeline(settings, config).observe(ops);
      if (resume != null) {
        pipeline.resume(resume);
      } else {
        pipeline.run(!rlOnly, phase != Phase.sft, control, init);
      }
    }
    return 0;
  }

  /** The flags of the operator surface: --dashboard, --dashboard-host, --dashboard-token, --management. */
  void operationsFlags() {
    options.flag("dashboard.enabled", dashboard != null ? Boolean.TRUE : null);
    options.flag("dashboard.port", dashboard != null && dashboard >= 0 ? dashboard : null);
    options.flag("dashboard.host", dashboardHost == null ? null : quote(dashboardHost));
    options.flag("dashboard.token", dashboardToken == null ? null : quote(dashboardToken));
    options.flag("management.enabled", management != null ? Boolean.TRUE : null);
    options.flag("management.port", management != null && management >= 0 ? management : null);
  }

  /** The run's operator surface (null when none is asked for); an actor system of its own in one JVM. */
  dev.rlft.dashboard.OpsNode operations(Config config) {
    return Operations.start(config, System.out);
  }

  /** The pipeline the command runs; GRPO in this JVM. */
  TrainPipeline pipeline(RunSettings settings, Config config) {
    return new TrainPipeline(settings, config, System.out);
  }

  static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
