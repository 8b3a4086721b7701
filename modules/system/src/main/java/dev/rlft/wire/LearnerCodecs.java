package dev.rlft.wire;

import dev.rlft.learner.Learner;
import dev.rlft.proto.wire.AdjustBetaRequest;
import dev.rlft.proto.wire.GetCriticRequest;
import dev.rlft.proto.wire.LearnerGetWeightsRequest;
import dev.rlft.proto.wire.SaveCheckpointRequest;
import dev.rlft.proto.wire.SavedReply;
import dev.rlft.proto.wire.TrainedReply;
import java.util.List;
import java.util.TreeMap;

/**
 * Protobuf mapping of the learner's control messages. {@code Train} and {@code TrainPpo} carry
 * trajectories and {@code CriticState} carries critic weights: those stay with Kryo.
 */
final class LearnerCodecs {

  private LearnerCodecs() {}

  static List<ControlCodec<?>> codecs() {
    return List.of(
        ControlCodec.of("learner.Trained", Learner.Trained.class,
            (m, refs) -> {
              TrainedReply.Builder p = TrainedReply.newBuilder().setBatchId(m.batchId()).setVersion(m.version())
                  .addAllMetrics(ControlCodecs.named(m.metrics()));
              if (m.error() != null) {
                p.setError(m.error());
              }
              return p.build();
            },
            (b, refs) -> {
              TrainedReply p = TrainedReply.parseFrom(b);
              return new Learner.Trained(p.getBatchId(), p.getVersion(), ControlCodecs.doubles(p.getMetricsList()),
                  p.hasError() ? p.getError() : null);
            }),
        ControlCodec.of("learner.SaveCheckpoint", Learner.SaveCheckpoint.class,
            (m, refs) -> SaveCheckpointRequest.newBuilder().setDir(ControlCodecs.required(m.dir(), "dir"))
                .setPhase(ControlCodecs.required(m.phase(), "phase")).putAllMetadata(m.metadata())
                .setReplyTo(refs.write(m.replyTo())).build(),
            (b, refs) -> {
              SaveCheckpointRequest p = SaveCheckpointRequest.parseFrom(b);
              return new Learner.SaveCheckpoint(p.getDir(), p.getPhase(), new TreeMap<>(p.getMetadataMap()),
                  refs.required(p.getReplyTo(), "replyTo"));
            }),
        ControlCodec.of("learner.Saved", Learner.Saved.class,
            (m, refs) -> {
              SavedReply.Builder p = SavedReply.newBuilder().setDir(ControlCodecs.required(m.dir(), "dir"))
                  .setVersion(m.version());
              if (m.error() != null) {
                p.setError(m.error());
              }
              return p.build();
            },
            (b, refs) -> {
              SavedReply p = SavedReply.parseFrom(b);
              return new Learner.Saved(p.getDir(), p.getVersion(), p.hasError() ? p.getError() : null);
            }),
        ControlCodec.of("learner.AdjustBeta", Learner.AdjustBeta.class,
            (m, refs) -> AdjustBetaRequest.newBuilder().setFactor(m.factor()).build(),
            (b, refs) -> new Learner.AdjustBeta(AdjustBetaRequest.parseFrom(b).getFactor())),
        ControlCodec.of("learner.GetWeights", Learner.GetWeights.class,
            (m, refs) -> LearnerGetWeightsRequest.newBuilder().setReplyTo(refs.write(m.replyTo())).build(),
            (b, refs) -> new Learner.GetWeights(
                refs.required(LearnerGetWeightsRequest.parseFrom(b).getReplyTo(), "replyTo"))),
        ControlCodec.of("learner.GetCritic", Learner.GetCritic.class,
            (m, refs) -> GetCriticRequest.newBuilder().setReplyTo(refs.write(m.replyTo())).build(),
            (b, refs) -> new Learner.GetCritic(refs.required(GetCriticRequest.parseFrom(b).getReplyTo(), "replyTo"))));
  }
}
