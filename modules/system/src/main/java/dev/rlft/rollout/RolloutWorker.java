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

/**
 * Generates groups of completions with its own copy of the policy. Before each batch it fetches
 * from the parameter server the newest weights at least as new as the batch requires, so every
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
   */
  public record Generated(long batchId, long weightVersion, ArrayList<Trajectory> trajectories, ArrayList<String> texts,
      ArrayList<String> answers, long generateNanos, String worker, long weightBytesReceived) implements WireMessage {}

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

  private record WeightsArrived(ParameterServer.WeightsReply reply, Throwable failure) implements Command, NoSerializationVerificationNeeded {}

  private final ActorRef<ParameterServer.Command> params;
  private final Tokenizer tokenizer;
  private final NDManager manager;
  private final LlamaModel model;
  private final java.util.Set<Integer> eosIds;
  private final Duration weightsTimeout;
  private long bytesSinceLastBatch;
  private final ArrayDeque<Generate> queue = new ArrayDeque<>();
  private long version = -1;
  private boolean fetching;
  private long fetchStart;

  private RolloutWorker(ActorContext<Command> context, ModelSpec spec, Tokenizer tokenizer,
      ActorRef<ParameterServer.Command> params, Duration weightsTimeout) {
    super(context);
    this.params = params;
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
  }

  /** A rollout worker that is restarted (with a fresh model copy) if it fails. */
  public static Behavior<Command> create(ModelSpec spec, Tokenizer tokenizer,
      ActorRef<ParameterServer.Command> params, Duration weightsTimeout) {
    return Behaviors.supervise(Health.monitored("rollout",
            Behaviors.<Command>setup(ctx -> new RolloutWorker(ctx, spec, tokenizer, params, weightsTimeout))))
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
        .onMessage(WeightsArrived.class, this::onWeights)
        .onSignal(PostStop.class, s -> {
          dev.rlft.model.NativeCompute.locked(manager::close);
          return this;
        })
        .onSignal(PreRestart.class, s -> {
          dev.rlft.model.NativeCompute.locked(manager::close);
          return this;
        })
        .build();
  }

  private Behavior<Command> onGenerate(Generate g) {
    queue.add(g);
    Health.queue(getContext(), queue.size());
    fetchForHead();
    return this;
  }

  private void fetchForHead() {
    if (fetching || queue.isEmpty()) {
      return;
    }
    fetching = true;
    fetchStart = System.nanoTime();
    long need = queue.peek().minVersion();
    getContext().ask(ParameterServer.WeightsReply.class, params, weightsTimeout,
        replyTo -> new ParameterServer.GetWeights(version, need, replyTo),
        WeightsArrived::new);
  }

  private Behavior<Command> onWeights(WeightsArrived w) {
    fetching = false;
    if (w.failure() != null) {
      throw new IllegalStateException("rollout worker could not get weights: " + w.failure().getMessage(), w.failure());
    }
    ParameterServer.WeightsReply r = w.reply();
    long loadStart = System.nanoTime();
    if (r.base() != null) {
      model.loadWeights(r.base().baseWeights());
      Map<String, float[]> adapters = r.base().adapters();
      if (!adapters.isEmpty()) {
        model.loadAdapters(adapters);
      }
    }
    if (r.snapshot() != null) {
      if (r.snapshot().kind() == WeightSnapshot.Kind.ADAPTERS) {
        model.loadAdapters(r.snapshot().asMap());
      } else {
        model.loadWeights(r.snapshot().baseWeights());
        if (model.lora() != null) {
          model.loadAdapters(r.snapshot().adapters());
        }
      }
    }
    bytesSinceLastBatch += r.bytes();
    version = w.reply().version();
    Health.version(getContext(), version);
    if (r.bytes() > 0) {
      long now = System.nanoTime();
      Health.gauge(getContext(), "weight_sync_seconds", (now - fetchStart) / 1e9);
      Health.gauge(getContext(), "weight_load_seconds", (now - loadStart) / 1e9);
    }
    Generate g = queue.peek();
    if (g != null) {
      g.replyTo().tell(generate(g));
      queue.poll();
      Health.queue(getContext(), queue.size());
    }
    fetchForHead();
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
    return new Generated(g.batchId(), version, trajectories, texts, answers, System.nanoTime() - start,
        getContext().getSelf().path().name(), bytes);
  }
}
