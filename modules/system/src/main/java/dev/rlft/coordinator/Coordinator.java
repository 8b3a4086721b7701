package dev.rlft.coordinator;

import dev.rlft.data.Problem;
import dev.rlft.learner.Learner;
import dev.rlft.model.PromptTemplate;
import dev.rlft.model.SamplingParams;
import dev.rlft.model.Tokenizer;
import dev.rlft.reward.RewardWorker;
import dev.rlft.reward.StepRewardWorker;
import dev.rlft.steps.ProcessRewards;
import dev.rlft.steps.StepSegmenter;
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
 *
 * <p>In process mode the batch carries per-token advantages (process-supervised GRPO) or, for a
 * PPO learner, per-token rewards ({@link Target}).
 */
public final class Coordinator extends AbstractBehavior<Coordinator.Command> {

  /** Messages the coordinator understands. */
  public sealed interface Command extends WireMessage {}

  /** Runs {@code steps} GRPO updates, then replies. */
  public record Start(ActorRef<Finished> replyTo) implements Command {}

  /**
   * The run's outcome. {@code dropped} maps a reason to a count of batches; {@code groups} accounts
   * for every prompt group drawn from the feed.
   */
  public record Finished(int steps, long version, long trainedSamples, double seconds,
      LinkedHashMap<String, Integer> dropped, String error, Groups groups) implements WireMessage {

    public Finished(int steps, long version, long trainedSamples, double seconds,
        LinkedHashMap<String, Integer> dropped, String error) {
      this(steps, version, trainedSamples, seconds, dropped, error, Groups.none());
    }
  }

  /**
   * What became of the prompt groups drawn from the feed. Each group is trained on, or dropped
   * with its reason ({@code too stale}, {@code reward failed}, {@code generation failed}, or
   * {@code run stopped} for groups still in flight when the run ended early), exactly once:
   * {@code dispatched == trained + sum(dropped)} when the run has finished.
   *
   * @param redispatched sends of a group to another rollout worker because its worker left the
   *     cluster mid-batch (a group may be re-sent more than once; it is still trained at most once)
   */
  public record Groups(long dispatched, long trained, long redispatched, LinkedHashMap<String, Long> dropped) {

    public Groups {
      dropped = new LinkedHashMap<>(dropped);
    }

    public static Groups none() {
      return new Groups(0, 0, 0, new LinkedHashMap<>());
    }

    public long droppedTotal() {
      return dropped.values().stream().mapToLong(Long::longValue).sum();
    }
  }

  /**
   * The rollout workers now available (cluster discovery). A worker that is no longer listed is
   * forgotten, and a batch it was generating goes to another worker; a new one gets work at once.
   */
  public record RolloutWorkersChanged(List<ActorRef<RolloutWorker.Command>> workers) implements Command {
    public RolloutWorkersChanged {
      workers = List.copyOf(workers);
    }
  }

  /**
   * Rolling GRPO checkpoints, and where a resumed run picks up.
   *
   * @param dir where the learner writes the checkpoint (replaced atomically each time)
   * @param every trained steps between checkpoints; 0 writes none
   * @param from the cursor stored with the checkpoint this run resumes from, or null for a fresh run
   * @param metadata stored with every checkpoint beside the cursor (what a resume needs to rebuild the run)
   */
  public record Recovery(String dir, int every, ResumeCursor from, Map<String, String> metadata) {

    public Recovery(String dir, int every, ResumeCursor from) {
      this(dir, every, from, Map.of());
    }

    public Recovery {
      metadata = Map.copyOf(metadata);
      if (every < 0) {
        throw new IllegalArgumentException("checkpoint-every must be >= 0, got " + every);
      }
      if (every > 0 && (dir == null || dir.isEmpty())) {
        throw new IllegalArgumentException("checkpoints need a folder");
      }
    }
  }

  private record GenerationDone(RolloutWorker.Generated generated, ActorRef<RolloutWorker.Command> worker,
      long batchId, int attempt, Throwable failure) implements Command, NoSerializationVerificationNeeded {}

  private record CheckpointDone(Learner.Saved saved, Throwable failure)
      implements Command, NoSerializationVerificationNeeded {}

  /** A batch out for generation: its groups, and the worker and attempt now generating it (null: waiting for one). */
  private record Assignment(long batchId, ArrayList<RolloutWorker.PromptGroup> groups, int attempt,
      ActorRef<RolloutWorker.Command> worker) {}

  private record ScoreDone(long batchId, int attempt, RewardWorker.Scored scored, Throwable failure) implements Command, NoSerializationVerificationNeeded {}

  private record TrainDone(Learner.Trained trained, Throwable failure) implements Command, NoSerializationVerificationNeeded {}

  private record StepsDone(long batchId, StepRewardWorker.StepsScored scored, Throwable failure)
      implements Command, NoSerializationVerificationNeeded {}

  /** What a process-supervised batch gives the learner. */
  public enum Target {
    /** Process-supervised GRPO: group-normalised per-token advantages, in a {@link Learner.Train}. */
    ADVANTAGES,
    /**
     * PPO: per-token rewards ({@link ProcessRewards#tokenRewards}), in a {@link Learner.TrainPpo};
     * the learner's critic turns them into advantages. On a PRM fallback, the outcome reward alone
     * on each completion's final token.
     */
    REWARDS
  }

  /**
   * Process supervision: step scores from a PRM worker turn into per-token advantages, or rewards.
   *
   * @param scorer the step-reward (PRM) worker
   * @param rewards how step scores become advantages (or rewards)
   * @param stopIds ids that end a completion; not decoded into its last step
   * @param timeout how long to wait for the step scores; after it the batch trains on the accuracy
   *     reward alone and counts as a PRM fallback ({@code prm_fallback} in the step metrics)
   * @param target what the learner is sent
   */
  public record Process(ActorRef<StepRewardWorker.Command> scorer, ProcessRewards.Config rewards,
      java.util.Set<Integer> stopIds, Duration timeout, dev.rlft.steps.HackingSentinel.Config sentinel,
      Target target) {

    public Process {
      java.util.Objects.requireNonNull(target, "target");
    }

    public Process(ActorRef<StepRewardWorker.Command> scorer, ProcessRewards.Config rewards,
        java.util.Set<Integer> stopIds, Duration timeout, dev.rlft.steps.HackingSentinel.Config sentinel) {
      this(scorer, rewards, stopIds, timeout, sentinel, Target.ADVANTAGES);
    }

    public Process(ActorRef<StepRewardWorker.Command> scorer, ProcessRewards.Config rewards,
        java.util.Set<Integer> stopIds, Duration timeout) {
      this(scorer, rewards, stopIds, timeout, null);
    }
  }

  /** A batch between generation and training in process mode. */
  private static final class Pending {
    final List<ProcessRewards.Prepared> prepared;
    ScoredBatch scored;
    float[][] stepScores;
    boolean stepsDone;
    String stepsFailure;

    Pending(List<ProcessRewards.Prepared> prepared) {
      this.prepared = prepared;
    }
  }

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
  private final java.util.Set<ActorRef<RolloutWorker.Command>> workers = new java.util.LinkedHashSet<>();
  private final Map<ActorRef<RolloutWorker.Command>, Assignment> busy = new java.util.HashMap<>();
  private final Map<Long, Assignment> generating = new LinkedHashMap<>();
  /** Batches whose worker left before answering (or that a resumed run regenerates), oldest first. */
  private final ArrayDeque<Long> unassigned = new ArrayDeque<>();
  /** Batches dispatched and not yet trained or dropped, with where their groups came from. */
  private final Map<Long, ResumeCursor.Pending> inFlightBatches = new LinkedHashMap<>();
  private final LinkedHashMap<String, Long> groupsDropped = new LinkedHashMap<>();
  private long groupsDispatched;
  private long groupsTrained;
  private long groupsRedispatched;
  private final Recovery recovery;
  private boolean waitingForWorkersLogged;
  private final ActorRef<RewardWorker.Command> rewards;
  private final ActorRef<Learner.Command> learner;
  private final ActorRef<StepReport> listener;
  private final Process process;
  private StepSegmenter segmenter; // follows processRewards.segmenter(); the sentinel's guard action changes it
  private final dev.rlft.steps.HackingSentinel sentinel;
  private ProcessRewards.Config processRewards;
  /** The sentinel's decisions that changed {@link #processRewards}, in order (kept in the resume cursor). */
  private final List<dev.rlft.steps.HackingSentinel.Action> sentinelActions = new ArrayList<>();
  private final Map<Long, Pending> pending = new LinkedHashMap<>();
  private final Map<Long, ArrayList<String>> problemTexts = new LinkedHashMap<>();
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
      double rewardMean, double accuracy, String sampleText, boolean sampleCorrect, ArrayList<float[]> tokenAdvantages,
      Map<String, Double> extraMetrics, ArrayList<float[]> tokenRewards, String[] sampleSteps,
      float[] sampleStepScores) {}

  private Coordinator(ActorContext<Command> context, Settings settings, PromptFeed feed, Tokenizer tokenizer,
      PromptTemplate template, List<ActorRef<RolloutWorker.Command>> workers, ActorRef<RewardWorker.Command> rewards,
      ActorRef<Learner.Command> learner, long startVersion, ActorRef<StepReport> listener, Process process,
      Recovery recovery) {
    super(context);
    this.recovery = recovery;
    this.process = process;
    this.segmenter = process == null ? null : StepSegmenter.create(process.rewards().segmenter());
    this.processRewards = process == null ? null : process.rewards();
    this.sentinel = process == null || process.sentinel() == null ? null
        : new dev.rlft.steps.HackingSentinel(process.sentinel());
    this.settings = settings;
    this.feed = feed;
    this.tokenizer = tokenizer;
    this.template = template;
    this.idleWorkers = new ArrayList<>(workers);
    this.workers.addAll(workers);
    this.rewards = rewards;
    this.learner = learner;
    this.learnerVersion = startVersion;
    this.listener = listener;
    if (recovery != null && recovery.from() != null) {
      restore(recovery.from());
    }
  }

  public static Behavior<Command> create(Settings settings, PromptFeed feed, Tokenizer tokenizer,
      PromptTemplate template, List<ActorRef<RolloutWorker.Command>> workers, ActorRef<RewardWorker.Command> rewards,
      ActorRef<Learner.Command> learner, long startVersion, ActorRef<StepReport> listener) {
    return create(settings, feed, tokenizer, template, workers, rewards, learner, startVersion, listener, null);
  }

  /** As above; with {@code process} non-null, trains on per-token process-supervised advantages. */
  public static Behavior<Command> create(Settings settings, PromptFeed feed, Tokenizer tokenizer,
      PromptTemplate template, List<ActorRef<RolloutWorker.Command>> workers, ActorRef<RewardWorker.Command> rewards,
      ActorRef<Learner.Command> learner, long startVersion, ActorRef<StepReport> listener, Process process) {
    return create(settings, feed, tokenizer, template, workers, rewards, learner, startVersion, listener, process,
        null);
  }

  /**
   * As above, with rolling checkpoints and, when {@code recovery.from()} is set, resuming from one.
   * {@code workers} may be empty when they arrive later through {@link RolloutWorkersChanged}.
   */
  public static Behavior<Command> create(Settings settings, PromptFeed feed, Tokenizer tokenizer,
      PromptTemplate template, List<ActorRef<RolloutWorker.Command>> workers, ActorRef<RewardWorker.Command> rewards,
      ActorRef<Learner.Command> learner, long startVersion, ActorRef<StepReport> listener, Process process,
      Recovery recovery) {
    return dev.rlft.health.Health.monitored("coordinator", Behaviors.setup(ctx -> new Coordinator(ctx, settings,
        feed, tokenizer, template, workers, rewards, learner, startVersion, listener, process, recovery)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Start.class, this::onStart)
        .onMessage(GenerationDone.class, this::onGenerated)
        .onMessage(ScoreDone.class, this::onScored)
        .onMessage(TrainDone.class, this::onTrained)
        .onMessage(StepsDone.class, this::onStepsDone)
        .onMessage(RolloutWorkersChanged.class, this::onWorkersChanged)
        .onMessage(CheckpointDone.class, this::onCheckpointDone)
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

  /**
   * Starts generation on idle workers: first batches that lost their worker, then new ones while
   * the staleness bound allows another batch in flight.
   */
  private void dispatch() {
    while (!idleWorkers.isEmpty() && !unassigned.isEmpty()) {
      assign(unassigned.poll(), idleWorkers.remove(0));
    }
    while (!idleWorkers.isEmpty() && inFlight < settings.maxStaleness() + 1
        && trainedSteps + inFlight < settings.steps()) {
      ActorRef<RolloutWorker.Command> worker = idleWorkers.remove(0);
      long batchId = nextBatchId++;
      ResumeCursor.Pending origin = new ResumeCursor.Pending(batchId, nextGroupId, feed.position(),
          settings.promptsPerStep());
      ArrayList<RolloutWorker.PromptGroup> groups = new ArrayList<>();
      for (int i = 0; i < settings.promptsPerStep(); i++) {
        groups.add(group(nextGroupId++, feed.next()));
      }
      inFlight++;
      dev.rlft.health.Health.queue(getContext(), inFlight);
      startBatch(origin, groups);
      assign(batchId, worker);
    }
    if (workers.isEmpty() && replyTo != null && (!unassigned.isEmpty() || trainedSteps + inFlight < settings.steps())
        && !waitingForWorkersLogged) {
      waitingForWorkersLogged = true;
      getContext().getLog().warn("no rollout worker available; waiting for one to join");
    }
  }

  private RolloutWorker.PromptGroup group(long groupId, Problem p) {
    return new RolloutWorker.PromptGroup(groupId, p.id(), template.encode(tokenizer, p.problem()), p.answer(),
        settings.groupSize());
  }

  /** Records a batch as in flight (its groups counted as dispatched once, however often it is re-sent). */
  private void startBatch(ResumeCursor.Pending origin, ArrayList<RolloutWorker.PromptGroup> groups) {
    if (process != null) {
      ArrayList<String> texts = new ArrayList<>();
      for (long i = 0; i < groups.size(); i++) {
        String problem = feed.at(origin.feedPosition() + i).problem();
        for (int j = 0; j < settings.groupSize(); j++) {
          texts.add(problem);
        }
      }
      problemTexts.put(origin.batchId(), texts);
    }
    inFlightBatches.put(origin.batchId(), origin);
    groupsDispatched += groups.size();
    generating.put(origin.batchId(), new Assignment(origin.batchId(), groups, -1, null));
  }

  /** Sends a batch to a worker as its next attempt; a reply to an earlier attempt is then ignored. */
  private void assign(long batchId, ActorRef<RolloutWorker.Command> worker) {
    Assignment previous = generating.get(batchId);
    Assignment a = new Assignment(batchId, previous.groups(), previous.attempt() + 1, worker);
    generating.put(batchId, a);
    busy.put(worker, a);
    waitingForWorkersLogged = false;
    long minVersion = learnerVersion;
    int attempt = a.attempt();
    getContext().getLog().debug("batch {} ({} groups, attempt {}) to {}", batchId, a.groups().size(), attempt + 1,
        worker.path());
    getContext().ask(RolloutWorker.Generated.class, worker, settings.generateTimeout(),
        ref -> new RolloutWorker.Generate(batchId, a.groups(), settings.sampling(), minVersion, ref),
        (gen, err) -> new GenerationDone(gen, worker, batchId, attempt, err));
  }

  /**
   * Forgets workers that are no longer listed (their batch in flight goes to another worker) and
   * puts new ones to work.
   */
  private Behavior<Command> onWorkersChanged(RolloutWorkersChanged c) {
    java.util.Set<ActorRef<RolloutWorker.Command>> now = new java.util.LinkedHashSet<>(c.workers());
    for (ActorRef<RolloutWorker.Command> w : List.copyOf(workers)) {
      if (now.contains(w)) {
        continue;
      }
      workers.remove(w);
      idleWorkers.remove(w);
      Assignment lost = busy.remove(w);
      Assignment current = lost == null ? null : generating.get(lost.batchId());
      if (current != null && current.attempt() == lost.attempt()) {
        generating.put(lost.batchId(), new Assignment(lost.batchId(), lost.groups(), lost.attempt(), null));
        unassigned.add(lost.batchId());
        groupsRedispatched += lost.groups().size();
        getContext().getLog().warn("rollout worker {} left with batch {} ({} groups) in flight; re-dispatching it",
            w.path(), lost.batchId(), lost.groups().size());
      } else {
        getContext().getLog().info("rollout worker {} left", w.path());
      }
    }
    for (ActorRef<RolloutWorker.Command> w : now) {
      if (workers.add(w)) {
        getContext().getLog().info("rollout worker {} joined", w.path());
        if (!busy.containsKey(w)) {
          idleWorkers.add(w);
        }
      }
    }
    if (replyTo != null) {
      dispatch();
    }
    return this;
  }

  private Behavior<Command> onGenerated(GenerationDone d) {
    Assignment mine = busy.get(d.worker());
    if (mine != null && mine.batchId() == d.batchId() && mine.attempt() == d.attempt()) {
      busy.remove(d.worker());
      if (workers.contains(d.worker())) {
        idleWorkers.add(d.worker());
      }
    }
    Assignment current = generating.get(d.batchId());
    // a batch whose worker left waits (worker null) for its next attempt: the departed worker's answer is stale
    if (current == null || current.worker() == null || current.attempt() != d.attempt()) {
      getContext().getLog().info("ignoring batch {} from {}: that attempt was superseded", d.batchId(),
          d.worker().path());
      dispatch();
      return this;
    }
    generating.remove(d.batchId());
    if (d.failure() != null) {
      problemTexts.remove(d.batchId());
      getContext().getLog().warn("batch {} generation failed: {}", d.batchId(), d.failure().toString());
      drop(d.batchId(), "generation failed");
      dispatch();
      return this;
    }
    getContext().getLog().debug("batch {} generated by {} (attempt {})", d.batchId(), d.worker().path(),
        d.attempt() + 1);
    scoring.put(d.batchId(), d.generated());
    requestScores(d.batchId(), 0);
    if (process != null) {
      requestStepScores(d.batchId(), d.generated());
    }
    dispatch();
    return this;
  }

  /** Cuts every completion into steps (aligned to its tokens) and asks the PRM worker to score them. */
  private void requestStepScores(long batchId, RolloutWorker.Generated g) {
    List<ProcessRewards.Prepared> prepared = new ArrayList<>(g.trajectories().size());
    ArrayList<String[]> steps = new ArrayList<>(g.trajectories().size());
    for (Trajectory t : g.trajectories()) {
      ProcessRewards.Prepared p = ProcessRewards.prepare(tokenizer, t.completion(), process.stopIds(), segmenter);
      prepared.add(p);
      steps.add(p.texts().toArray(new String[0]));
    }
    pending.put(batchId, new Pending(prepared));
    ArrayList<String> problems = problemTexts.remove(batchId);
    getContext().ask(StepRewardWorker.StepsScored.class, process.scorer(), process.timeout(),
        ref -> new StepRewardWorker.ScoreSteps(batchId, problems, steps, ref),
        (scored, err) -> new StepsDone(batchId, scored, err));
  }

  private Behavior<Command> onStepsDone(StepsDone d) {
    Pending p = pending.get(d.batchId());
    if (p == null || p.stepsDone) {
      return this; // the batch was dropped, or this is a late reply
    }
    p.stepsDone = true;
    if (d.failure() != null) {
      p.stepsFailure = d.failure().toString();
    } else if (d.scored().scores().length != p.prepared.size()) {
      p.stepsFailure = "the PRM answered " + d.scored().scores().length + " score lists for " + p.prepared.size()
          + " completions";
    } else {
      p.stepScores = d.scored().scores();
    }
    completeProcess(d.batchId());
    return this;
  }

  /** When both the accuracy rewards and the step scores (or their failure) are in, the batch is ready. */
  private void completeProcess(long batchId) {
    Pending p = pending.get(batchId);
    if (p == null || p.scored == null || !p.stepsDone) {
      return;
    }
    pending.remove(batchId);
    ScoredBatch b = p.scored;
    Map<String, Double> extra = new LinkedHashMap<>();
    int steps = 0;
    long chars = 0;
    for (ProcessRewards.Prepared prep : p.prepared) {
      steps += prep.steps().size();
      for (StepSegmenter.Step s : prep.steps()) {
        chars += s.end() - s.start();
      }
    }
    extra.put("steps_mean", steps / (double) p.prepared.size());
    extra.put("step_chars_mean", steps == 0 ? 0.0 : chars / (double) steps);
    ArrayList<float[]> tokenAdvantages = null;
    ArrayList<float[]> tokenRewards = null;
    int n = b.trajectories().size();
    float[] outcome = new float[n];
    for (int i = 0; i < n; i++) {
      outcome[i] = b.trajectories().get(i).reward();
    }
    if (p.stepScores != null) {
      boolean[] correct = new boolean[n];
      double scoreSum = 0;
      int scored = 0;
      for (int i = 0; i < n; i++) {
        correct[i] = b.trajectories().get(i).correct();
        for (float v : p.stepScores[i]) {
          scoreSum += v;
          scored++;
        }
      }
      try {
        if (process.target() == Target.REWARDS) {
          tokenRewards = new ArrayList<>(ProcessRewards.tokenRewards(processRewards, p.prepared, p.stepScores,
              correct, outcome));
        } else {
          tokenAdvantages = new ArrayList<>(ProcessRewards.tokenAdvantages(processRewards, p.prepared, p.stepScores,
              correct, outcome, settings.groupSize()));
        }
        extra.put("prm_score_mean", scored == 0 ? 0.0 : scoreSum / scored);
      } catch (IllegalArgumentException e) {
        p.stepsFailure = e.getMessage();
      }
    }
    boolean fallback = tokenAdvantages == null && tokenRewards == null;
    extra.put("prm_fallback", fallback ? 1.0 : 0.0);
    if (fallback) {
      getContext().getLog().warn("batch {} trains on the accuracy reward alone: {}", batchId, p.stepsFailure);
      if (process.target() == Target.REWARDS) {
        tokenRewards = new ArrayList<>(ProcessRewards.outcomeTokenRewards(processRewards, p.prepared, outcome));
      }
    }
    ready.add(new ScoredBatch(b.generated(), b.trajectories(), b.rewardMean(), b.accuracy(), b.sampleText(),
        b.sampleCorrect(), tokenAdvantages, extra, tokenRewards, p.prepared.get(0).texts().toArray(new String[0]),
        p.stepScores == null ? null : p.stepScores[0]));
    train();
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
        pending.remove(d.batchId());
        drop(d.batchId(), "reward failed");
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
    ScoredBatch batch = new ScoredBatch(g, scored, rewardSum / n, correct / (double) n, g.texts().get(0),
        s.correct()[0], null, Map.of(), null, null, null);
    if (process != null) {
      pending.get(d.batchId()).scored = batch;
      completeProcess(d.batchId());
    } else {
      ready.add(batch);
      train();
    }
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
        drop(b.generated().batchId(), "too stale");
        dispatch();
        continue;
      }
      learnerBusy = true;
      getContext().ask(Learner.Trained.class, learner, settings.trainTimeout(),
          ref -> b.tokenRewards() != null
              ? new Learner.TrainPpo(b.generated().batchId(), b.trajectories(), b.tokenRewards(), ref)
              : new Learner.Train(b.generated().batchId(), b.trajectories(), settings.groupSize(), b.tokenAdvantages(),
                  ref),
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
    dev.rlft.health.Health.queue(getContext(), inFlight);
    trainedSteps++;
    trainedSamples += b.trajectories().size();
    ResumeCursor.Pending trainedBatch = inFlightBatches.remove(b.generated().batchId());
    groupsTrained += trainedBatch == null ? 0 : trainedBatch.groups();
    long generatedWith = b.generated().weightVersion();
    long staleness = learnerVersion - generatedWith;
    learnerVersion = d.trained().version();
    dev.rlft.health.Health.version(getContext(), learnerVersion);
    double elapsed = (System.nanoTime() - startNanos) / 1e9;
    long genTokens = 0;
    for (Trajectory t : b.trajectories()) {
      genTokens += t.completion().length;
    }
    LinkedHashMap<String, Double> m = new LinkedHashMap<>();
    m.put("reward", b.rewardMean());
    m.put("accuracy", b.accuracy());
    m.putAll(b.extraMetrics());
    m.putAll(d.trained().metrics());
    m.put("gen_tokens", (double) genTokens);
    m.put("gen_tokens_per_s", genTokens / (b.generated().generateNanos() / 1e9));
    m.put("weight_sync_bytes", (double) b.generated().weightBytesReceived());
    m.put("weight_sync_ms", b.generated().weightSyncNanos() / 1e6);
    m.put("samples_per_s", trainedSamples / elapsed);
    m.put("elapsed_s", elapsed);
    m.put("groups_redispatched", (double) groupsRedispatched);
    m.put("groups_dropped", (double) groupsDropped.values().stream().mapToLong(Long::longValue).sum());
    String pause = sentinel == null ? null : watch(m);
    if (listener != null) {
      listener.tell(new StepReport(trainedSteps, b.generated().batchId(), generatedWith, learnerVersion, staleness, m,
          b.sampleText(), b.sampleCorrect(), tokenizer.decode(b.trajectories().get(0).prompt()),
          b.generated().answers().get(0), b.sampleSteps(), b.sampleStepScores()));
    }
    if (pause != null) {
      return finish(pause);
    }
    if (trainedSteps >= settings.steps()) {
      return finish(null);
    }
    if (recovery != null && recovery.every() > 0 && trainedSteps % recovery.every() == 0) {
      saveCheckpoint(); // before the next Train: the learner writes exactly this step's state
    }
    dispatch();
    train();
    return this;
  }

  /** Asks the learner to write the rolling checkpoint, with this coordinator's cursor beside its state. */
  private void saveCheckpoint() {
    Map<String, String> metadata = new LinkedHashMap<>(recovery.metadata());
    metadata.putAll(cursor().toMetadata());
    getContext().ask(Learner.Saved.class, learner, settings.trainTimeout(),
        ref -> new Learner.SaveCheckpoint(recovery.dir(), "grpo", metadata, ref), CheckpointDone::new);
  }

  private Behavior<Command> onCheckpointDone(CheckpointDone d) {
    if (d.failure() != null || d.saved().error() != null) {
      getContext().getLog().error("GRPO checkpoint failed (training goes on): {}",
          d.failure() != null ? d.failure().toString() : d.saved().error());
    } else {
      getContext().getLog().info("GRPO checkpoint at version {} in {}", d.saved().version(), d.saved().dir());
    }
    return this;
  }

  /** Where this run stands, as a resumed run needs it. */
  private ResumeCursor cursor() {
    return new ResumeCursor(trainedSteps, trainedSamples, nextBatchId, nextGroupId, feed.position(),
        new ArrayList<>(inFlightBatches.values()), new LinkedHashMap<>(dropped),
        new Groups(groupsDispatched, groupsTrained, groupsRedispatched, groupsDropped),
        sentinel == null ? null : sentinel.state(), sentinelActions);
  }

  /**
   * Continues from a checkpoint's cursor: counters as they were, the feed where it stood, the
   * batches that were in flight then regenerated first (same batch and group ids, same problems),
   * and the reward-hacking sentinel where it stood, its decisions still in force.
   */
  private void restore(ResumeCursor c) {
    if (process != null && sentinel == null && !c.sentinelActions().isEmpty()) {
      getContext().getLog().warn("the checkpoint's sentinel decisions {} are not applied: this run has no "
          + "reward-hacking sentinel", c.sentinelActions());
    } else if (process != null) {
      for (dev.rlft.steps.HackingSentinel.Action a : c.sentinelActions()) {
        applyToRewards(a);
      }
      if (sentinel != null && c.sentinel() != null) {
        try {
          sentinel.restore(c.sentinel());
        } catch (IllegalArgumentException e) {
          // the sentinel's settings changed since the checkpoint: it watches afresh, with a new baseline
          getContext().getLog().warn("the reward-hacking sentinel starts afresh: {}", e.getMessage());
        }
      }
    }
    trainedSteps = c.trainedSteps();
    trainedSamples = c.trainedSamples();
    nextBatchId = c.nextBatchId();
    nextGroupId = c.nextGroupId();
    feed.seek(c.feedPosition());
    dropped.putAll(c.droppedBatches());
    groupsDispatched = c.groups().dispatched() - c.pending().stream().mapToLong(ResumeCursor.Pending::groups).sum();
    groupsTrained = c.groups().trained();
    groupsRedispatched = c.groups().redispatched();
    groupsDropped.putAll(c.groups().dropped());
    for (ResumeCursor.Pending p : c.pending()) {
      ArrayList<RolloutWorker.PromptGroup> groups = new ArrayList<>();
      for (int i = 0; i < p.groups(); i++) {
        groups.add(group(p.firstGroupId() + i, feed.at(p.feedPosition() + i)));
      }
      inFlight++;
      startBatch(p, groups);
      unassigned.add(p.batchId());
    }
  }

  /**
   * Lets the sentinel see this step and carries out its decision; records it in the step's metrics
   * ({@code sentinel_action}: 1 warn, 2 switch credit, 3 raise beta, 4 pause, 5 guard). Returns the reason
   * when the run must pause.
   */
  private String watch(Map<String, Double> m) {
    var decision = sentinel.observe(trainedSteps, m);
    if (decision.isEmpty()) {
      return null;
    }
    var d = decision.get();
    m.put("sentinel_action", (double) (d.action().ordinal() + 1));
    getContext().getLog().warn("reward-hacking sentinel at step {}: {} -> {}", d.step(), d.reason(), d.action());
    switch (d.action()) {
      case SWITCH_CREDIT, GUARD -> applyToRewards(d.action());
      case RAISE_BETA -> learner.tell(new Learner.AdjustBeta((float) sentinel.config().betaFactor()));
      case PAUSE -> {
        return "paused by the reward-hacking sentinel at step " + d.step() + ": " + d.reason();
      }
      default -> { }
    }
    return null;
  }

  /** Carries out a sentinel decision that changes how step scores become rewards, and remembers it. */
  private void applyToRewards(dev.rlft.steps.HackingSentinel.Action action) {
    dev.rlft.steps.CreditAssignment switchTo = sentinel.config().switchTo();
    switch (action) {
      case SWITCH_CREDIT -> processRewards = processRewards.withCredit(switchTo);
      case GUARD -> {
        processRewards = processRewards.guarded(switchTo);
        segmenter = StepSegmenter.create(processRewards.segmenter());
      }
      default -> throw new IllegalArgumentException("sentinel action " + action + " does not change the rewards");
    }
    sentinelActions.add(action);
  }

  private void drop(long batchId, String reason) {
    inFlight--;
    dev.rlft.health.Health.queue(getContext(), inFlight);
    dropped.merge(reason, 1, Integer::sum);
    ResumeCursor.Pending p = inFlightBatches.remove(batchId);
    if (p != null) {
      groupsDropped.merge(reason, (long) p.groups(), Long::sum);
    }
  }

  private Behavior<Command> finish(String error) {
    double secs = (System.nanoTime() - startNanos) / 1e9;
    for (ResumeCursor.Pending p : inFlightBatches.values()) {
      groupsDropped.merge("run stopped", (long) p.groups(), Long::sum);
    }
    inFlightBatches.clear();
    Groups groups = new Groups(groupsDispatched, groupsTrained, groupsRedispatched, groupsDropped);
    getContext().getLog().info("groups: {} dispatched, {} trained, {} re-dispatched, dropped {}", groupsDispatched,
        groupsTrained, groupsRedispatched, groupsDropped);
    replyTo.tell(new Finished(trainedSteps, learnerVersion, trainedSamples, secs, dropped, error, groups));
    return Behaviors.stopped();
  }
}
