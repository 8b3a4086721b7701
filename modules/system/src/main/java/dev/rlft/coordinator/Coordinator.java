package dev.rlft.coordinator;

import dev.rlft.data.Problem;
import dev.rlft.learner.Learner;
import dev.rlft.model.PromptTemplate;
import dev.rlft.model.SamplingParams;
import dev.rlft.model.Tokenizer;
import dev.rlft.reward.RewardWorker;
import dev.rlft.rollout.RolloutWorker;
import dev.rlft.train.Trajectory;
import dev.rlft.wire.WireMessage;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Drives GRPO: hands prompt groups to idle rollout workers, sends their completions to the reward
 * pool, and feeds scored batches to the learner in order.
 *
 * <p>Overlap is bounded by {@code maxStaleness}: at most {@code maxStaleness + 1} batches are in
 * flight (generating, scoring, queued or training), so a batch is trained at most {@code
 * maxStaleness} versions after the weights that generated it. A batch that is nevertheless too
 * stale, or whose scoring failed {@code rewardRetries + 1} times, is dropped and counted with its
 * reason; nothing is trained twice.
 */
public final class Coordinator extends AbstractBehavior<Coordinator.Command> {

  /** Messages the coordinator understands. */
  public sealed interface Command extends WireMessage {}

  /** Runs {@code steps} GRPO updates, then replies. */
  public record Start(ActorRef<Finished> replyTo) implements Command {}

  /** The run's outcome. {@code dropped} maps a reason to a count of batches. */
  public record Finished(int steps, long version, long trainedSamples, double seconds,
      LinkedHashMap<String, Integer> dropped, String error) implements WireMessage {}

  private record GenerationDone(RolloutWorker.Generated generated, ActorRef<RolloutWorker.Command> worker,
      long batchId, Throwable failure) implements Command, NoSerializationVerificationNeeded {}

  private record ScoreDone(long batchId, int attempt, RewardWorker.Scored scored, Throwable failure) implements Command, NoSerializationVerificationNeeded {}

  private record TrainDone(Learner.Trained trained, Throwable failure) implements Command, NoSerializationVerificationNeeded {}

  /** GRPO loop settings. */
  public record Settings(int steps, int promptsPerStep, int groupSize, int maxStaleness, SamplingParams sampling,
      Duration generateTimeout, Duration rewardTimeout, int rewardRetries, Duration trainTimeout) {
    public Settings {
      if (steps < 0 || promptsPerStep < 1 || groupSize < 1) {
        throw new IllegalArgumentException("grpo steps >= 0, prompts-per-step >= 1 and group-size >= 1 required; got "
            + steps + ", " + promptsPerStep + ", " + groupSize);
      }
      if (maxStaleness < 0) {
        throw new IllegalArgumentException("max-staleness must be >= 0, got " + maxStaleness);
      }
      if (rewardRetries < 0) {
        throw new IllegalArgumentException("reward retries must be >= 0, got " + rewardRetries);
      }
    }
  }

  private final Settings settings;
  private final PromptFeed feed;
  private final Tokenizer tokenizer;
  private final PromptTemplate template;
  private final List<ActorRef<RolloutWorker.Command>> idleWorkers;
  private final ActorRef<RewardWorker.Command> rewards;
  private final ActorRef<Learner.Command> learner;
  private final ActorRef<StepReport> listener;
  private final Map<Long, RolloutWorker.Generated> scoring = new LinkedHashMap<>();
  private final ArrayDeque<ScoredBatch> ready = new ArrayDeque<>();
  private final LinkedHashMap<String, Integer> dropped = new LinkedHashMap<>();
  private ActorRef<Finished> replyTo;
  private long nextBatchId;
  private long nextGroupId;
  private int inFlight;
  private boolean learnerBusy;
  private long learnerVersion;
  private int trainedSteps;
  private long trainedSamples;
  private long startNanos;

  private record ScoredBatch(RolloutWorker.Generated generated, ArrayList<Trajectory> trajectories,
      double rewardMean, double accuracy, String sampleText, boolean sampleCorrect) {}

  private Coordinator(ActorContext<Command> context, Settings settings, PromptFeed feed, Tokenizer tokenizer,
      PromptTemplate template, List<ActorRef<RolloutWorker.Command>> workers, ActorRef<RewardWorker.Command> rewards,
      ActorRef<Learner.Command> learner, long startVersion, ActorRef<StepReport> listener) {
    super(context);
    if (workers.isEmpty()) {
      throw new IllegalArgumentException("at least one rollout worker is required");
    }
    this.settings = settings;
    this.feed = feed;
    this.tokenizer = tokenizer;
    this.template = template;
    this.idleWorkers = new ArrayList<>(workers);
    this.rewards = rewards;
    this.learner = learner;
    this.learnerVersion = startVersion;
    this.listener = listener;
  }

  public static Behavior<Command> create(Settings settings, PromptFeed feed, Tokenizer tokenizer,
      PromptTemplate template, List<ActorRef<RolloutWorker.Command>> workers, ActorRef<RewardWorker.Command> rewards,
      ActorRef<Learner.Command> learner, long startVersion, ActorRef<StepReport> listener) {
    return Behaviors.setup(ctx -> new Coordinator(ctx, settings, feed, tokenizer, template, workers, rewards,
        learner, startVersion, listener));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Start.class, this::onStart)
        .onMessage(GenerationDone.class, this::onGenerated)
        .onMessage(ScoreDone.class, this::onScored)
        .onMessage(TrainDone.class, this::onTrained)
        .build();
  }

  private Behavior<Command> onStart(Start s) {
    if (replyTo != null) {
      throw new IllegalStateException("coordinator started twice");
    }
    replyTo = s.replyTo();
    startNanos = System.nanoTime();
    if (settings.steps() == 0) {
      return finish(null);
    }
    dispatch();
    return this;
  }

  /** Starts generation on idle workers while the staleness bound allows another batch in flight. */
  private void dispatch() {
    while (!idleWorkers.isEmpty() && inFlight < settings.maxStaleness() + 1
        && trainedSteps + inFlight < settings.steps()) {
      ActorRef<RolloutWorker.Command> worker = idleWorkers.remove(0);
      long batchId = nextBatchId++;
      ArrayList<RolloutWorker.PromptGroup> groups = new ArrayList<>();
      for (int i = 0; i < settings.promptsPerStep(); i++) {
        Problem p = feed.next();
        groups.add(new RolloutWorker.PromptGroup(nextGroupId++, p.id(), template.encode(tokenizer, p.problem()),
            p.answer(), settings.groupSize()));
      }
      inFlight++;
      long minVersion = learnerVersion;
      getContext().ask(RolloutWorker.Generated.class, worker, settings.generateTimeout(),
          ref -> new RolloutWorker.Generate(batchId, groups, settings.sampling(), minVersion, ref),
          (gen, err) -> new GenerationDone(gen, worker, batchId, err));
    }
  }

  private Behavior<Command> onGenerated(GenerationDone d) {
    idleWorkers.add(d.worker());
    if (d.failure() != null) {
      getContext().getLog().warn("batch {} generation failed: {}", d.batchId(), d.failure().toString());
      drop("generation failed");
      dispatch();
      return this;
    }
    scoring.put(d.batchId(), d.generated());
    requestScores(d.batchId(), 0);
    dispatch();
    return this;
  }

  private void requestScores(long batchId, int attempt) {
    RolloutWorker.Generated g = scoring.get(batchId);
    getContext().ask(RewardWorker.Scored.class, rewards, settings.rewardTimeout(),
        ref -> new RewardWorker.Score(batchId, attempt, g.texts(), g.answers(), ref),
        (scored, err) -> new ScoreDone(batchId, attempt, scored, err));
  }

  private Behavior<Command> onScored(ScoreDone d) {
    RolloutWorker.Generated g = scoring.get(d.batchId());
    if (g == null) {
      return this; // a late reply to an attempt that was already retried and answered
    }
    if (d.failure() != null) {
      if (d.attempt() < settings.rewardRetries()) {
        getContext().getLog().warn("batch {} scoring attempt {} failed ({}); retrying", d.batchId(), d.attempt() + 1,
            d.failure().toString());
        requestScores(d.batchId(), d.attempt() + 1);
      } else {
        getContext().getLog().error("batch {} dropped: scoring failed {} times", d.batchId(), d.attempt() + 1);
        scoring.remove(d.batchId());
        drop("reward failed");
        dispatch();
      }
      return this;
    }
    scoring.remove(d.batchId());
    RewardWorker.Scored s = d.scored();
    ArrayList<Trajectory> scored = new ArrayList<>(g.trajectories().size());
    double rewardSum = 0;
    int correct = 0;
    for (int i = 0; i < g.trajectories().size(); i++) {
      scored.add(g.trajectories().get(i).withReward(s.rewards()[i], s.correct()[i]));
      rewardSum += s.rewards()[i];
      correct += s.correct()[i] ? 1 : 0;
    }
    int n = scored.size();
    ready.add(new ScoredBatch(g, scored, rewardSum / n, correct / (double) n, g.texts().get(0), s.correct()[0]));
    train();
    return this;
  }

  private void train() {
    while (!learnerBusy && !ready.isEmpty()) {
      ScoredBatch b = ready.peek();
      long staleness = learnerVersion - b.generated().weightVersion();
      if (staleness > settings.maxStaleness()) {
        ready.poll();
        getContext().getLog().warn("batch {} dropped: staleness {} > {}", b.generated().batchId(), staleness,
            settings.maxStaleness());
        drop("too stale");
        dispatch();
        continue;
      }
      learnerBusy = true;
      getContext().ask(Learner.Trained.class, learner, settings.trainTimeout(),
          ref -> new Learner.Train(b.generated().batchId(), b.trajectories(), settings.groupSize(), ref),
          TrainDone::new);
    }
  }

  private Behavior<Command> onTrained(TrainDone d) {
    learnerBusy = false;
    ScoredBatch b = ready.poll();
    if (d.failure() != null || d.trained().error() != null) {
      return finish("learner failed on batch " + (b == null ? "?" : b.generated().batchId()) + ": "
          + (d.failure() != null ? d.failure() : d.trained().error()));
    }
    inFlight--;
    trainedSteps++;
    trainedSamples += b.trajectories().size();
    long generatedWith = b.generated().weightVersion();
    long staleness = learnerVersion - generatedWith;
    learnerVersion = d.trained().version();
    double elapsed = (System.nanoTime() - startNanos) / 1e9;
    long genTokens = 0;
    for (Trajectory t : b.trajectories()) {
      genTokens += t.completion().length;
    }
    LinkedHashMap<String, Double> m = new LinkedHashMap<>();
    m.put("reward", b.rewardMean());
    m.put("accuracy", b.accuracy());
    m.putAll(d.trained().metrics());
    m.put("gen_tokens", (double) genTokens);
    m.put("gen_tokens_per_s", genTokens / (b.generated().generateNanos() / 1e9));
    m.put("weight_sync_bytes", (double) b.generated().weightBytesReceived());
    m.put("samples_per_s", trainedSamples / elapsed);
    m.put("elapsed_s", elapsed);
    if (listener != null) {
      listener.tell(new StepReport(trainedSteps, b.generated().batchId(), generatedWith, learnerVersion, staleness, m,
          b.sampleText(), b.sampleCorrect()));
    }
    if (trainedSteps >= settings.steps()) {
      return finish(null);
    }
    dispatch();
    train();
    return this;
  }

  private void drop(String reason) {
    inFlight--;
    dropped.merge(reason, 1, Integer::sum);
  }

  private Behavior<Command> finish(String error) {
    double secs = (System.nanoTime() - startNanos) / 1e9;
    replyTo.tell(new Finished(trainedSteps, learnerVersion, trainedSamples, secs, dropped, error));
    return Behaviors.stopped();
  }
}
