package dev.rlft.rollout;

import ai.djl.ndarray.NDManager;
import dev.rlft.health.Health;
import dev.rlft.model.Generation;
import dev.rlft.model.Devices;
import dev.rlft.model.LlamaModel;
import dev.rlft.model.LoraConfig;
import dev.rlft.model.ModelConfig;
import dev.rlft.model.Sampler;
import dev.rlft.model.SamplingParams;
import dev.rlft.model.Tokenizer;
import dev.rlft.params.ParameterServer;
import dev.rlft.params.WeightReceiver;
import dev.rlft.params.WeightSnapshot;
import dev.rlft.train.Trajectory;
import dev.rlft.wire.WireMessage;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Generates groups of completions with its own copy of the policy. A child {@link WeightReceiver}
 * (on the default dispatcher, so it keeps receiving while this actor generates) subscribes to the
 * parameter server and hands over every verified version. Before each batch the worker loads the
 * newest version it has, waiting for one at least as new as the batch requires, so every
 * completion is tagged with the exact weight version that produced it.
 *
 * <p>Owns native tensors: run it on a pinned dispatcher. Requests are served one at a time in
 * arrival order.
 */
public final class RolloutWorker extends AbstractBehavior<RolloutWorker.Command> {

  /** Messages a rollout worker understands. */
  public sealed interface Command extends WireMessage {}

  /** One prompt to be completed {@code size} times. */
  public record PromptGroup(long groupId, String problemId, int[] prompt, String answer, int size) implements WireMessage {
    public PromptGroup {
      if (size < 1) {
        throw new IllegalArgumentException("group size must be >= 1, got " + size);
      }
    }
  }

  /** Generates every group of the batch with weights of version &gt;= {@code minVersion}. */
  public record Generate(long batchId, ArrayList<PromptGroup> groups, SamplingParams sampling, long minVersion,
      ActorRef<Generated> replyTo) implements Command {}

  /**
   * The completions of a batch, group by group in request order, with rewards not yet set.
   *
   * @param texts decoded completion of each trajectory
   * @param answers ground truth of each trajectory's problem
   * @param weightBytesReceived weight bytes that reached this worker since its previous batch
   * @param weightSyncNanos offer-to-verified time of the weight version loaded for this batch, 0
   *     when the batch ran on weights already loaded
   */
  public record Generated(long batchId, long weightVersion, ArrayList<Trajectory> trajectories, ArrayList<String> texts,
      ArrayList<String> answers, long generateNanos, String worker, long weightBytesReceived, long weightSyncNanos)
      implements WireMessage {}

  /**
   * What a rollout worker runs.
   *
   * @param lora adapters the policy carries (weights sync as adapter-only snapshots), or null
   * @param eosIds ids that end a completion, besides the tokenizer's EOS (e.g. generation_config.json's)
   * @param dtype floating-point type of the worker's model copy
   */
  public record ModelSpec(ModelConfig config, LoraConfig lora, java.util.Set<Integer> eosIds,
      ai.djl.ndarray.types.DataType dtype) {
    public static ModelSpec of(ModelConfig config) {
      return new ModelSpec(config, null, java.util.Set.of(), ai.djl.ndarray.types.DataType.FLOAT32);
    }
  }

  private record WeightsReady(WeightReceiver.Ready ready) implements Command, NoSerializationVerificationNeeded {}

  private enum Signal implements Command, NoSerializationVerificationNeeded {
    SERVE_NEXT,
    WEIGHTS_TIMEOUT
  }

  private final TimerScheduler<Command> timers;
  private final Tokenizer tokenizer;
  private final NDManager manager;
  private final LlamaModel model;
  private final java.util.Set<Integer> eosIds;
  private final Duration weightsTimeout;
  private long bytesSinceLastBatch;
  private final ArrayDeque<Generate> queue = new ArrayDeque<>();
  private long version = -1;
  /** The newest version received and not loaded yet, with every tensor changed since the loaded one. */
  private long pendingVersion = -1;
  private final Map<String, float[]> pendingTensors = new java.util.LinkedHashMap<>();
  private final ActorRef<WeightReceiver.Command> weights;
  private long pendingSyncNanos;
  private long loadedSyncNanos;
  private boolean serveScheduled;

  private RolloutWorker(ActorContext<Command> context, TimerScheduler<Command> timers, ModelSpec spec,
      Tokenizer tokenizer, ActorRef<ParameterServer.Command> params, Duration weightsTimeout) {
    super(context);
    this.timers = timers;
    this.tokenizer = tokenizer;
    this.weightsTimeout = weightsTimeout;
    this.manager = Devices.newBaseManager();
    java.util.Set<Integer> eos = new java.util.HashSet<>(spec.eosIds());
    if (tokenizer.eosId() >= 0) {
      eos.add(tokenizer.eosId());
    }
    this.eosIds = java.util.Set.copyOf(eos);
    // placeholder weights until the parameter server's first snapshot arrives
    try (LlamaModel init = LlamaModel.initialize(spec.config(), 0, manager, false)) {
      Map<String, float[]> w = init.exportWeights();
      this.model = spec.lora() != null
          ? LlamaModel.withLora(spec.config(), w, spec.lora(), null, 0, manager, false)
          : LlamaModel.fromWeights(spec.config(), w, manager, false, spec.dtype());
    }
    this.weights = context.spawn(WeightReceiver.create(params,
        context.messageAdapter(WeightReceiver.Ready.class, WeightsReady::new)), "weights");
  }

  /** A rollout worker that is restarted (with a fresh model copy) if it fails. */
  public static Behavior<Command> create(ModelSpec spec, Tokenizer tokenizer,
      ActorRef<ParameterServer.Command> params, Duration weightsTimeout) {
    return Behaviors.supervise(Health.monitored("rollout", Behaviors.<Command>setup(ctx -> Behaviors.withTimers(
            timers -> new RolloutWorker(ctx, timers, spec, tokenizer, params, weightsTimeout)))))
        .onFailure(SupervisorStrategy.restart());
  }

  public static Behavior<Command> create(ModelConfig config, Tokenizer tokenizer,
      ActorRef<ParameterServer.Command> params, Duration weightsTimeout) {
    return create(ModelSpec.of(config), tokenizer, params, weightsTimeout);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Generate.class, this::onGenerate)
        .onMessage(WeightsReady.class, this::onWeights)
        .onMessageEquals(Signal.SERVE_NEXT, () -> {
          serveScheduled = false;
          return serve();
        })
        .onMessageEquals(Signal.WEIGHTS_TIMEOUT, this::onWeightsTimeout)
        .onSignal(PostStop.class, s -> {
          dev.rlft.model.NativeCompute.run(manager::close);
          return this;
        })
        .onSignal(PreRestart.class, s -> {
          dev.rlft.model.NativeCompute.run(manager::close);
          return this;
        })
        .build();
  }

  private Behavior<Command> onGenerate(Generate g) {
    queue.add(g);
    Health.queue(getContext(), queue.size());
    return serve();
  }

  private Behavior<Command> onWeights(WeightsReady w) {
    WeightReceiver.Ready r = w.ready();
    // versions arrive in order; a skipped one's tensors stay pending under the newer ones
    pendingTensors.putAll(r.changed());
    pendingVersion = r.version();
    pendingSyncNanos = r.syncNanos();
    bytesSinceLastBatch += r.bytes();
    return serve();
  }

  /**
   * Serves the head of the queue if the newest weights received are new enough, one batch per
   * message so versions that arrive meanwhile are loaded before the next batch.
   */
  private Behavior<Command> serve() {
    Generate head = queue.peek();
    if (head == null) {
      return this;
    }
    if (pendingVersion > version) {
      load();
    }
    if (version < head.minVersion()) {
      if (!timers.isTimerActive(Signal.WEIGHTS_TIMEOUT)) {
        timers.startSingleTimer(Signal.WEIGHTS_TIMEOUT, weightsTimeout);
      }
      return this;
    }
    timers.cancel(Signal.WEIGHTS_TIMEOUT);
    head.replyTo().tell(generate(head));
    queue.poll();
    Health.queue(getContext(), queue.size());
    if (!queue.isEmpty() && !serveScheduled) {
      serveScheduled = true;
      getContext().getSelf().tell(Signal.SERVE_NEXT);
    }
    return this;
  }

  private void load() {
    long start = System.nanoTime();
    if (model.lora() == null) {
      pendingTensors.keySet().removeIf(WeightSnapshot::isAdapter);
    }
    model.loadTensors(pendingTensors);
    // copied into the model: the receiver fills these arrays with a later version
    weights.tell(new WeightReceiver.Recycle(new ArrayList<>(pendingTensors.values())));
    pendingTensors.clear();
    version = pendingVersion;
    loadedSyncNanos = pendingSyncNanos;
    Health.version(getContext(), version);
    Health.gauge(getContext(), "weight_sync_seconds", pendingSyncNanos / 1e9);
    Health.gauge(getContext(), "weight_load_seconds", (System.nanoTime() - start) / 1e9);
  }

  private Behavior<Command> onWeightsTimeout() {
    Generate head = queue.peek();
    if (head != null && version < head.minVersion()) {
      throw new IllegalStateException("rollout worker got no weights of version >= " + head.minVersion() + " within "
          + weightsTimeout + " (holds version " + version + ")");
    }
    return this;
  }

  private Generated generate(Generate g) {
    long start = System.nanoTime();
    List<int[]> prompts = new ArrayList<>();
    for (PromptGroup group : g.groups()) {
      for (int i = 0; i < group.size(); i++) {
        prompts.add(group.prompt());
      }
    }
    SamplingParams sp = g.sampling().withSeed(g.sampling().seed() * 1_000_003L + g.batchId());
    List<List<String>> stops = new ArrayList<>();
    if (sp.stop().length > 0) {
      for (int i = 0; i < prompts.size(); i++) {
        stops.add(List.of(sp.stop()));
      }
    }
    List<Generation> gens = Sampler.generate(model, prompts, sp, new Sampler.Stops(eosIds, stops, tokenizer), manager);
    ArrayList<Trajectory> trajectories = new ArrayList<>(gens.size());
    ArrayList<String> texts = new ArrayList<>(gens.size());
    ArrayList<String> answers = new ArrayList<>(gens.size());
    int k = 0;
    for (PromptGroup group : g.groups()) {
      for (int i = 0; i < group.size(); i++, k++) {
        Generation gen = gens.get(k);
        trajectories.add(new Trajectory(group.groupId(), group.prompt(), gen.tokens(), gen.logprobs(), version, 0f, false));
        texts.add(tokenizer.decode(gen.tokens()));
        answers.add(group.answer());
      }
    }
    long bytes = bytesSinceLastBatch;
    bytesSinceLastBatch = 0;
    long syncNanos = loadedSyncNanos;
    loadedSyncNanos = 0;
    return new Generated(g.batchId(), version, trajectories, texts, answers, System.nanoTime() - start,
        getContext().getSelf().path().name(), bytes, syncNanos);
  }
}
