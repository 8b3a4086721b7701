package dev.rlft.learner;

import ai.djl.ndarray.NDManager;
import dev.rlft.checkpoint.Checkpoint;
import dev.rlft.health.Health;
import dev.rlft.model.Devices;
import dev.rlft.model.LlamaModel;
import dev.rlft.model.LoraConfig;
import dev.rlft.model.ModelConfig;
import dev.rlft.model.NativeCompute;
import dev.rlft.model.Tokenizer;
import dev.rlft.params.ParameterServer;
import dev.rlft.params.WeightSnapshot;
import dev.rlft.train.AdamW;
import dev.rlft.train.GrpoUpdate;
import dev.rlft.train.PpoUpdate;
import dev.rlft.train.ValueModel;
import dev.rlft.train.Trajectory;
import dev.rlft.wire.WireMessage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Owns the trainable policy, the frozen reference policy and the optimizer; applies one GRPO update
 * per {@link Train} and publishes the resulting weights to the parameter server as the next version.
 *
 * <p>A PPO learner ({@link Init#ppo()} set) also owns a critic ({@link ValueModel}) and its own
 * optimizer, and applies one PPO update (epochs of minibatches) per {@link TrainPpo} instead; a
 * learner refuses the other algorithm's message with an error reply.
 *
 * <p>Owns native tensors and DJL's gradient collector: run it on a pinned dispatcher, one per JVM.
 */
public final class Learner extends AbstractBehavior<Learner.Command> {

  /** Messages the learner understands. */
  public sealed interface Command extends WireMessage {}

  /** Updates the policy on whole groups of scored trajectories. */
  public record Train(long batchId, ArrayList<Trajectory> batch, int groupSize, ArrayList<float[]> tokenAdvantages,
      ActorRef<Trained> replyTo) implements Command {

    /** Plain GRPO: advantages from the trajectories' scalar rewards, normalised within each group. */
    public Train(long batchId, ArrayList<Trajectory> batch, int groupSize, ActorRef<Trained> replyTo) {
      this(batchId, batch, groupSize, null, replyTo);
    }
  }

  /**
   * Updates policy and critic by PPO on trajectories with per-token rewards: {@code
   * tokenRewards.get(i)} holds one reward per completion token of trajectory {@code i} (step
   * rewards on step ends, the outcome reward on the final token). Needs a PPO learner.
   */
  public record TrainPpo(long batchId, ArrayList<Trajectory> batch, ArrayList<float[]> tokenRewards,
      ActorRef<Trained> replyTo) implements Command {}

  /** Asks a PPO learner for its critic (for a checkpoint). */
  public record GetCritic(ActorRef<CriticState> replyTo) implements Command {}

  /**
   * Reply to {@link GetCritic}: the critic's weights (backbone and value head, {@link
   * ValueModel#exportWeights()}), its optimizer's moments and steps, at weight {@code version};
   * {@code error} is set, and the maps empty, when the learner has no critic.
   */
  public record CriticState(long version, LinkedHashMap<String, float[]> weights,
      LinkedHashMap<String, float[]> optimizerState, long optimizerSteps, String error) implements WireMessage {

    /** As a checkpoint stores it. */
    public Checkpoint.Critic toCheckpoint() {
      if (error != null) {
        throw new IllegalStateException("no critic: " + error);
      }
      return new Checkpoint.Critic(weights, optimizerState, optimizerSteps);
    }
  }

  /**
   * Result of a {@link Train}: the version now published and the update's metrics, or an error
   * (then the weights and version are unchanged).
   */
  public record Trained(long batchId, long version, LinkedHashMap<String, Double> metrics, String error)
      implements WireMessage {}

  /**
   * Writes a checkpoint of the current policy and optimizer (a PPO learner's also holds its critic
   * and the critic's optimizer); {@code metadata} is stored with it (the coordinator's resume
   * cursor), beside the learner's own {@code grpo.beta}, the KL weight in force.
   */
  public record SaveCheckpoint(String dir, String phase, Map<String, String> metadata, ActorRef<Saved> replyTo)
      implements Command {

    public SaveCheckpoint {
      metadata = Map.copyOf(metadata);
    }

    public SaveCheckpoint(String dir, String phase, ActorRef<Saved> replyTo) {
      this(dir, phase, Map.of(), replyTo);
    }
  }

  /** Reply to {@link SaveCheckpoint}; {@code error} is null on success. */
  public record Saved(String dir, long version, String error) implements WireMessage {}

  /** Multiplies the KL weight beta by {@code factor} from the next update on. */
  public record AdjustBeta(float factor) implements Command {}

  /** Asks for the current weights. */
  public record GetWeights(ActorRef<WeightSnapshot> replyTo) implements Command {}

  /** Checkpoint metadata key of the KL weight in force (the sentinel may have raised it). */
  public static final String BETA_KEY = "grpo.beta";

  private final NDManager manager;
  private final LlamaModel policy;
  private final LlamaModel reference;
  private final AdamW optimizer;
  private final GrpoUpdate update;
  private final Ppo ppo;
  private final ValueModel critic;
  private final AdamW criticOptimizer;
  private final PpoUpdate ppoUpdate;
  private final ActorRef<ParameterServer.Command> params;
  private final Tokenizer tokenizer;
  private long version;

  /**
   * Everything a learner starts from.
   *
   * @param weights starting policy; with {@code lora}, the frozen base the adapters sit on
   * @param referenceWeights the KL reference; ignored with {@code lora} (the base is the reference)
   * @param lora adapters to train, or null to train every weight
   * @param adapterSeed seed of the fresh adapters' A matrices
   * @param ppo PPO settings, or null for GRPO; with them {@code grpo} is not used
   */
  public record Init(ModelConfig model, Tokenizer tokenizer, Map<String, float[]> weights,
      Map<String, float[]> referenceWeights, long startVersion, AdamW.Config adam, GrpoUpdate.Config grpo,
      LoraConfig lora, long adapterSeed, Ppo ppo, Resume resume) {

    public Init {
      if (ppo != null && ppo.critic() != null) {
        checkCritic(model, ppo.critic().weights());
      }
    }

    public Init(ModelConfig model, Tokenizer tokenizer, Map<String, float[]> weights,
        Map<String, float[]> referenceWeights, long startVersion, AdamW.Config adam, GrpoUpdate.Config grpo,
        LoraConfig lora, long adapterSeed, Ppo ppo) {
      this(model, tokenizer, weights, referenceWeights, startVersion, adam, grpo, lora, adapterSeed, ppo, null);
    }

    public Init(ModelConfig model, Tokenizer tokenizer, Map<String, float[]> weights,
        Map<String, float[]> referenceWeights, long startVersion, AdamW.Config adam, GrpoUpdate.Config grpo,
        LoraConfig lora, long adapterSeed, Resume resume) {
      this(model, tokenizer, weights, referenceWeights, startVersion, adam, grpo, lora, adapterSeed, null, resume);
    }

    public Init(ModelConfig model, Tokenizer tokenizer, Map<String, float[]> weights,
        Map<String, float[]> referenceWeights, long startVersion, AdamW.Config adam, GrpoUpdate.Config grpo,
        LoraConfig lora, long adapterSeed) {
      this(model, tokenizer, weights, referenceWeights, startVersion, adam, grpo, lora, adapterSeed, null,
          (Resume) null);
    }

    public Init(ModelConfig model, Tokenizer tokenizer, Map<String, float[]> weights,
        Map<String, float[]> referenceWeights, long startVersion, AdamW.Config adam, GrpoUpdate.Config grpo) {
      this(model, tokenizer, weights, referenceWeights, startVersion, adam, grpo, null, 0);
    }
  }

  /**
   * State a resumed learner continues from, as a GRPO checkpoint holds it.
   *
   * @param optimizerState AdamW moments ("m/NAME", "v/NAME") of the trained parameters
   * @param optimizerSteps steps taken (the learning-rate schedule's position and AdamW's bias correction)
   * @param adapters with LoRA, the trained adapters; empty otherwise
   */
  public record Resume(Map<String, float[]> optimizerState, long optimizerSteps, Map<String, float[]> adapters) {
    public Resume {
      if (optimizerSteps < 0) {
        throw new IllegalArgumentException("optimizer steps must be >= 0, got " + optimizerSteps);
      }
    }
  }

  /**
   * PPO instead of GRPO.
   *
   * @param update PPO settings: GAE, clip ranges, value loss, beta and both learning-rate schedules
   * @param epochs passes over each rollout, {@code >= 1}
   * @param minibatches minibatches per pass, {@code >= 1} (at most the batch's trajectories)
   * @param critic the critic to resume (a PPO checkpoint's), or null for a fresh one: a
   *     full-weight backbone copied from the starting policy ({@link Init#weights()}, the frozen
   *     base with LoRA) and a fresh value head, even when the policy trains LoRA adapters
   * @param seed the fresh value head's and the minibatch shuffles' seed
   */
  public record Ppo(PpoUpdate.Config update, int epochs, int minibatches, Checkpoint.Critic critic, long seed) {
    public Ppo {
      java.util.Objects.requireNonNull(update, "update");
      if (epochs < 1) {
        throw new IllegalArgumentException("ppo epochs must be >= 1, got " + epochs);
      }
      if (minibatches < 1) {
        throw new IllegalArgumentException("ppo minibatches must be >= 1, got " + minibatches);
      }
    }
  }

  /** A saved critic must be a full-weight backbone of the policy's shape plus a value head. */
  private static void checkCritic(ModelConfig model, Map<String, float[]> weights) {
    Map<String, Long> expected = new LinkedHashMap<>();
    LlamaModel.parameterShapes(model).forEach((name, shape) -> expected.put(name, shape.size()));
    expected.put(ValueModel.HEAD_WEIGHT, (long) model.dim());
    expected.put(ValueModel.HEAD_BIAS, 1L);
    if (!expected.keySet().equals(weights.keySet())) {
      java.util.Set<String> missing = new java.util.TreeSet<>(expected.keySet());
      missing.removeAll(weights.keySet());
      java.util.Set<String> extra = new java.util.TreeSet<>(weights.keySet());
      extra.removeAll(expected.keySet());
      throw new IllegalArgumentException("the saved critic does not fit the policy's model: missing " + missing
          + ", unexpected " + extra);
    }
    expected.forEach((name, size) -> {
      if (weights.get(name).length != size) {
        throw new IllegalArgumentException("the saved critic's " + name + " has " + weights.get(name).length
            + " values, the policy's model needs " + size);
      }
    });
  }

  private Learner(ActorContext<Command> context, Init init, ActorRef<ParameterServer.Command> params) {
    super(context);
    this.params = params;
    this.tokenizer = init.tokenizer();
    this.manager = Devices.newBaseManager();
    if (init.lora() != null) {
      Map<String, float[]> adapters = init.resume() == null || init.resume().adapters().isEmpty() ? null
          : init.resume().adapters();
      this.policy = LlamaModel.withLora(init.model(), init.weights(), init.lora(), adapters, init.adapterSeed(), manager,
          true);
      this.reference = null; // the policy's base, adapters off
    } else {
      this.policy = LlamaModel.fromWeights(init.model(), init.weights(), manager, true);
      float beta = init.ppo() != null ? init.ppo().update().beta() : init.grpo().beta();
      this.reference = beta > 0
          ? LlamaModel.fromWeights(init.model(), init.referenceWeights(), manager, false) : null;
    }
    this.optimizer = new AdamW(policy.trainableParameters(), init.adam(), manager);
    if (init.resume() != null) {
      dev.rlft.model.NativeCompute.run(
          () -> optimizer.importState(init.resume().optimizerState(), init.resume().optimizerSteps()));
    }
    this.ppo = init.ppo();
    if (ppo == null) {
      this.update = new GrpoUpdate(policy, reference, optimizer, init.grpo(), init.tokenizer().padId());
      this.critic = null;
      this.criticOptimizer = null;
      this.ppoUpdate = null;
    } else {
      this.update = null;
      Checkpoint.Critic saved = ppo.critic();
      this.critic = saved == null ? ValueModel.fromWeights(init.model(), init.weights(), null, ppo.seed(), manager)
          : ValueModel.fromExport(init.model(), saved.weights(), manager, true);
      this.criticOptimizer = NativeCompute.run(() -> {
        AdamW opt = new AdamW(critic.trainableParameters(), init.adam(), manager);
        if (saved != null && !saved.optimizerState().isEmpty()) {
          opt.importState(saved.optimizerState(), saved.optimizerSteps());
        }
        return opt;
      });
      this.ppoUpdate = new PpoUpdate(policy, reference, optimizer, critic, criticOptimizer, ppo.update(),
          init.tokenizer().padId());
    }
    this.version = init.startVersion();
    Map<String, float[]> full = new LinkedHashMap<>(init.lora() != null ? policy.exportBaseWeights() : policy.exportWeights());
    full.putAll(policy.exportAdapters());
    params.tell(new ParameterServer.Publish(withShapes(WeightSnapshot.of(version, full)), null));
    Health.version(context, version);
  }

  /** What a new version publishes: the adapters alone for a LoRA policy, else every weight. */
  private WeightSnapshot snapshot() {
    return withShapes(policy.lora() != null
        ? WeightSnapshot.of(version, policy.exportAdapters(), WeightSnapshot.Kind.ADAPTERS)
        : WeightSnapshot.of(version, policy.exportWeights()));
  }

  /** The snapshot with the policy's tensor shapes, which the weight-sync manifest carries. */
  private WeightSnapshot withShapes(WeightSnapshot s) {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    LlamaModel.parameterShapes(policy.config()).forEach((name, shape) -> shapes.put(name, shape.getShape()));
    if (policy.lora() != null) {
      LlamaModel.adapterShapes(policy.config(), policy.lora()).forEach((name, shape) -> shapes.put(name, shape.getShape()));
    }
    return s.withShapes(shapes);
  }

  public static Behavior<Command> create(Init init, ActorRef<ParameterServer.Command> params) {
    return Health.monitored("learner", Behaviors.setup(ctx -> new Learner(ctx, init, params)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Train.class, this::onTrain)
        .onMessage(TrainPpo.class, this::onTrainPpo)
        .onMessage(SaveCheckpoint.class, this::onSave)
        .onMessage(GetCritic.class, g -> {
          g.replyTo().tell(criticState());
          return this;
        })
        .onMessage(AdjustBeta.class, a -> {
          try {
            if (ppoUpdate != null) {
              ppoUpdate.scaleBeta(a.factor());
            } else {
              update.scaleBeta(a.factor());
            }
            getContext().getLog().warn("KL weight beta is now {}",
                ppoUpdate != null ? ppoUpdate.config().beta() : update.config().beta());
          } catch (RuntimeException e) {
            getContext().getLog().error("cannot adjust beta: {}", e.getMessage());
          }
          return this;
        })
        .onMessage(GetWeights.class, g -> {
          g.replyTo().tell(WeightSnapshot.of(version, policy.exportWeights()));
          return this;
        })
        .onSignal(PostStop.class, s -> {
          dev.rlft.model.NativeCompute.run(manager::close);
          return this;
        })
        .build();
  }

  private Behavior<Command> onTrain(Train t) {
    if (update == null) {
      return refuse(t.batchId(), t.replyTo(), "this learner runs PPO: send TrainPpo with per-token rewards");
    }
    return apply(t.batchId(), t.replyTo(), () -> t.tokenAdvantages() == null ? update.step(t.batch(), t.groupSize())
        : update.step(t.batch(), t.groupSize(), t.tokenAdvantages()));
  }

  private Behavior<Command> onTrainPpo(TrainPpo t) {
    if (ppoUpdate == null) {
      return refuse(t.batchId(), t.replyTo(), "this learner runs GRPO: TrainPpo needs a learner with PPO settings");
    }
    return apply(t.batchId(), t.replyTo(),
        () -> ppoUpdate.train(t.batch(), t.tokenRewards(), ppo.epochs(), ppo.minibatches(), ppo.seed() + t.batchId()));
  }

  private Behavior<Command> refuse(long batchId, ActorRef<Trained> replyTo, String why) {
    getContext().getLog().error("batch {} not trained: {}", batchId, why);
    replyTo.tell(new Trained(batchId, version, new LinkedHashMap<>(), why));
    return this;
  }

  /** Runs one update; unless it was skipped, publishes the next version; replies with its metrics. */
  private Behavior<Command> apply(long batchId, ActorRef<Trained> replyTo,
      java.util.function.Supplier<Map<String, Double>> step) {
    long start = System.nanoTime();
    Map<String, Double> m;
    try {
      m = step.get();
    } catch (RuntimeException e) {
      getContext().getLog().error("update on batch {} failed", batchId, e);
      replyTo.tell(new Trained(batchId, version, new LinkedHashMap<>(), e.toString()));
      return this;
    }
    if (m.getOrDefault("skipped", 0.0) == 0.0) {
      version++;
      params.tell(new ParameterServer.Publish(snapshot(), null));
      Health.version(getContext(), version);
    }
    LinkedHashMap<String, Double> metrics = new LinkedHashMap<>(m);
    metrics.put("train_seconds", (System.nanoTime() - start) / 1e9);
    replyTo.tell(new Trained(batchId, version, metrics, null));
    return this;
  }

  private CriticState criticState() {
    if (critic == null) {
      return new CriticState(version, new LinkedHashMap<>(), new LinkedHashMap<>(), 0, "this learner has no critic (GRPO)");
    }
    return new CriticState(version, new LinkedHashMap<>(critic.exportWeights()),
        new LinkedHashMap<>(NativeCompute.run(criticOptimizer::exportState)),
        criticOptimizer.steps(), null);
  }

  private Behavior<Command> onSave(SaveCheckpoint s) {
    try {
      Map<String, String> metadata = new LinkedHashMap<>(s.metadata());
      // the KL weight in force, GRPO's or PPO's: the sentinel may have raised it
      metadata.put(BETA_KEY, Float.toString(update != null ? update.config().beta() : ppoUpdate.config().beta()));
      Map<String, float[]> moments = NativeCompute.run(optimizer::exportState);
      Checkpoint.Critic saved = critic == null ? null : criticState().toCheckpoint();
      if (policy.lora() != null) {
        new Checkpoint(policy.config(), tokenizer, policy.exportBaseWeights(), moments,
            optimizer.steps(), version, s.phase(), metadata, policy.lora(), policy.exportAdapters(), saved)
            .save(Path.of(s.dir()));
      } else {
        new Checkpoint(policy.config(), tokenizer, policy.exportWeights(), moments,
            optimizer.steps(), version, s.phase(), metadata).withCritic(saved).save(Path.of(s.dir()));
      }
      s.replyTo().tell(new Saved(s.dir(), version, null));
    } catch (IOException | RuntimeException e) {
      s.replyTo().tell(new Saved(s.dir(), version, e.toString()));
    }
    return this;
  }
}
