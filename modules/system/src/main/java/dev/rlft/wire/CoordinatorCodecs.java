package dev.rlft.wire;

import dev.rlft.coordinator.Coordinator;
import dev.rlft.coordinator.StepReport;
import dev.rlft.proto.wire.CoordinatorFinished;
import dev.rlft.proto.wire.CoordinatorStart;
import dev.rlft.proto.wire.NamedCount;
import dev.rlft.proto.wire.RolloutWorkersChanged;
import dev.rlft.proto.wire.StepReportProto;
import dev.rlft.rollout.RolloutWorker;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;

/** Protobuf mapping of the coordinator's protocol. */
final class CoordinatorCodecs {

  private CoordinatorCodecs() {}

  private static final String DISPATCHED = "dispatched";
  private static final String TRAINED = "trained";
  private static final String REDISPATCHED = "redispatched";
  private static final String DROPPED = "dropped:";

  static List<ControlCodec<?>> codecs() {
    return List.of(
        ControlCodec.of("coordinator.Start", Coordinator.Start.class,
            (m, refs) -> CoordinatorStart.newBuilder().setReplyTo(refs.write(m.replyTo())).build(),
            (b, refs) -> new Coordinator.Start(refs.required(CoordinatorStart.parseFrom(b).getReplyTo(), "replyTo"))),
        ControlCodec.of("coordinator.Finished", Coordinator.Finished.class,
            (m, refs) -> finished(m),
            (b, refs) -> finished(CoordinatorFinished.parseFrom(b))),
        ControlCodec.of("coordinator.RolloutWorkersChanged", Coordinator.RolloutWorkersChanged.class,
            (m, refs) -> {
              RolloutWorkersChanged.Builder p = RolloutWorkersChanged.newBuilder();
              m.workers().forEach(w -> p.addWorkers(refs.write(w)));
              return p.build();
            },
            (b, refs) -> {
              List<ActorRef<RolloutWorker.Command>> workers = new ArrayList<>();
              for (String w : RolloutWorkersChanged.parseFrom(b).getWorkersList()) {
                workers.add(refs.required(w, "worker"));
              }
              return new Coordinator.RolloutWorkersChanged(workers);
            }),
        ControlCodec.of("coordinator.StepReport", StepReport.class,
            (m, refs) -> {
              StepReportProto.Builder p = StepReportProto.newBuilder().setStep(m.step()).setBatchId(m.batchId())
                  .setGeneratedWith(m.generatedWith()).setVersion(m.version()).setStaleness(m.staleness())
                  .addAllMetrics(ControlCodecs.named(m.metrics())).setSampleCorrect(m.sampleCorrect());
              if (m.sampleText() != null) {
                p.setSampleText(m.sampleText());
              }
              if (m.samplePrompt() != null) {
                p.setSamplePrompt(m.samplePrompt());
              }
              if (m.sampleAnswer() != null) {
                p.setSampleAnswer(m.sampleAnswer());
              }
              if (m.sampleSteps() != null) {
                p.setHasSampleSteps(true);
                for (String step : m.sampleSteps()) {
                  p.addSampleSteps(ControlCodecs.required(step, "sampleSteps[]"));
                }
              }
              if (m.sampleStepScores() != null) {
                p.setHasSampleStepScores(true).addAllSampleStepScores(ControlCodecs.boxed(m.sampleStepScores()));
              }
              return p.build();
            },
            (b, refs) -> {
              StepReportProto p = StepReportProto.parseFrom(b);
              return new StepReport(p.getStep(), p.getBatchId(), p.getGeneratedWith(), p.getVersion(), p.getStaleness(),
                  ControlCodecs.doubles(p.getMetricsList()), p.hasSampleText() ? p.getSampleText() : null,
                  p.getSampleCorrect(), p.hasSamplePrompt() ? p.getSamplePrompt() : null,
                  p.hasSampleAnswer() ? p.getSampleAnswer() : null,
                  p.getHasSampleSteps() ? p.getSampleStepsList().toArray(new String[0]) : null,
                  p.getHasSampleStepScores() ? ControlCodecs.floats(p.getSampleStepScoresList()) : null);
            }));
  }

  private static CoordinatorFinished finished(Coordinator.Finished m) {
    CoordinatorFinished.Builder p = CoordinatorFinished.newBuilder().setSteps(m.steps()).setVersion(m.version())
        .setTrainedSamples(m.trainedSamples()).setSeconds(m.seconds());
    m.dropped().forEach((k, v) -> p.addDropped(NamedCount.newBuilder().setName(k).setCount(v)));
    if (m.error() != null) {
      p.setError(m.error());
    }
    Coordinator.Groups g = m.groups();
    p.addGroups(NamedCount.newBuilder().setName(DISPATCHED).setCount(g.dispatched()));
    p.addGroups(NamedCount.newBuilder().setName(TRAINED).setCount(g.trained()));
    p.addGroups(NamedCount.newBuilder().setName(REDISPATCHED).setCount(g.redispatched()));
    g.dropped().forEach((k, v) -> p.addGroups(NamedCount.newBuilder().setName(DROPPED + k).setCount(v)));
    return p.build();
  }

  private static Coordinator.Finished finished(CoordinatorFinished p) {
    LinkedHashMap<String, Integer> dropped = new LinkedHashMap<>();
    for (NamedCount c : p.getDroppedList()) {
      dropped.put(c.getName(), Math.toIntExact(c.getCount()));
    }
    Map<String, Long> counts = new LinkedHashMap<>();
    LinkedHashMap<String, Long> groupsDropped = new LinkedHashMap<>();
    for (NamedCount c : p.getGroupsList()) {
      if (c.getName().startsWith(DROPPED)) {
        groupsDropped.put(c.getName().substring(DROPPED.length()), c.getCount());
      } else {
        counts.put(c.getName(), c.getCount()); // names this node does not know are ignored
      }
    }
    Coordinator.Groups groups = new Coordinator.Groups(counts.getOrDefault(DISPATCHED, 0L),
        counts.getOrDefault(TRAINED, 0L), counts.getOrDefault(REDISPATCHED, 0L), groupsDropped);
    return new Coordinator.Finished(p.getSteps(), p.getVersion(), p.getTrainedSamples(), p.getSeconds(), dropped,
        p.hasError() ? p.getError() : null, groups);
  }
}
