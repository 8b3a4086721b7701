package dev.rlft.learner;

import ai.djl.ndarray.NDManager;
import dev.rlft.checkpoint.Checkpoint;
import dev.rlft.model.Devices;
import dev.rlft.model.LlamaModel;
import dev.rlft.model.LoraConfig;
import dev.rlft.model.ModelConfig;
import dev.rlft.model.Tokenizer;
import dev.rlft.params.ParameterServer;
import dev.rlft.params.WeightSnapshot;
import dev.rlft.train.AdamW;
import dev.rlft.train.GrpoUpdate;
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
   * Result of a {@link Train}: the version now published and the update's metrics, or an error
   * (then the weights and version are unchanged).
   */
  public record Trained(long batchId, long version, LinkedHashMap<String, Double> metrics, String error)
      implements WireMessage {}

  /**
   * Writes a checkpoint of the current policy and optimizer; {@code metadata} is stored with it
   * (the coordinator's resume cursor), beside the learner's own {@code grpo.beta}.
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
   */
  public record Init(ModelConfig model, Tokenizer tokenizer, Map<String, float[]> weights,
      Map<String, float[]> referenceWeights, long startVersion, AdamW.Config adam, GrpoUpdate.Config grpo,
      LoraConfig lora, long adapterSeed, Resume resume) {

    public Init(ModelConfig model, Tokenizer tokenizer, Map<String, float[]> weights,
        Map<String, float[]> referenceWeights, long startVersion, AdamW.Config adam, GrpoUpdate.Config grpo,
        LoraConfig lora, long adapterSeed) {
      this(model, tokenizer, weights, referenceWeights, startVersion, adam, grpo, lora, adapterSeed, null);
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
      this.reference = init.grpo().beta() > 0
          ? LlamaModel.fromWeights(init.model(), init.referenceWeights(), manager, false) : null;
    }
    this.optimizer = new AdamW(policy.trainableParameters(), init.adam(), manager);
    if (init.resume() != null) {
      dev.rlft.model.NativeCompute.locked(
          () -> optimizer.importState(init.resume().optimizerState(), init.resume().optimizerSteps()));
    }
    this.update = new GrpoUpdate(policy, reference, optimizer, init.grpo(), init.tokenizer().padId());
    this.version = init.startVersion();
    Map<String, float[]> full = new LinkedHashMap<>(init.lora() != null ? policy.exportBaseWeights() : policy.exportWeights());
    full.putAll(policy.exportAdapters());
    params.tell(new ParameterServer.Publish(WeightSnapshot.of(version, full), null));
  }

  /** What a new version publishes: the adapters alone for a LoRA policy, else every weight. */
  private WeightSnapshot snapshot() {
    return policy.lora() != null
        ? WeightSnapshot.of(version, policy.exportAdapters(), WeightSnapshot.Kind.ADAPTERS)
        : WeightSnapshot.of(version, policy.exportWeights());
  }

  public static Behavior<Command> create(Init init, ActorRef<ParameterServer.Command> params) {
    return Behaviors.setup(ctx -> new Learner(ctx, init, params));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Train.class, this::onTrain)
        .onMessage(SaveCheckpoint.class, this::onSave)
        .onMessage(AdjustBeta.class, a -> {
          try {
            update.scaleBeta(a.factor());
            getContext().getLog().warn("KL weight beta is now {}", update.config().beta());
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
          dev.rlft.model.NativeCompute.locked(manager::close);
          return this;
        })
        .build();
  }

  private Behavior<Command> onTrain(Train t) {
    long start = System.nanoTime();
    Map<String, Double> m;
    try {
      m = t.tokenAdvantages() == null ? update.step(t.batch(), t.groupSize())
          : update.step(t.batch(), t.groupSize(), t.tokenAdvantages());
    } catch (RuntimeException e) {
      getContext().getLog().error("update on batch {} failed", t.batchId(), e);
      t.replyTo().tell(new Trained(t.batchId(), version, new LinkedHashMap<>(), e.toString()));
      return this;
    }
    if (m.getOrDefault("skipped", 0.0) == 0.0) {
      version++;
      params.tell(new ParameterServer.Publish(snapshot(), null));
    }
    LinkedHashMap<String, Double> metrics = new LinkedHashMap<>(m);
    metrics.put("train_seconds", (System.nanoTime() - start) / 1e9);
    t.replyTo().tell(new Trained(t.batchId(), version, metrics, null));
    return this;
  }

  private Behavior<Command> onSave(SaveCheckpoint s) {
    try {
      Map<String, String> metadata = new LinkedHashMap<>(s.metadata());
      metadata.put(BETA_KEY, Float.toString(update.config().beta()));
      Map<String, float[]> moments = dev.rlft.model.NativeCompute.locked(optimizer::exportState);
      if (policy.lora() != null) {
        new Checkpoint(policy.config(), tokenizer, policy.exportBaseWeights(), moments,
            optimizer.steps(), version, s.phase(), metadata, policy.lora(), policy.exportAdapters()).save(Path.of(s.dir()));
      } else {
        new Checkpoint(policy.config(), tokenizer, policy.exportWeights(), moments,
            optimizer.steps(), version, s.phase(), metadata).save(Path.of(s.dir()));
      }
      s.replyTo().tell(new Saved(s.dir(), version, null));
    } catch (IOException | RuntimeException e) {
      s.replyTo().tell(new Saved(s.dir(), version, e.toString()));
    }
    return this;
  }
}
