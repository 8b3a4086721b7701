package dev.rlft.wire;

import dev.rlft.model.SamplingParams;
import dev.rlft.proto.wire.GenerateRequest;
import dev.rlft.proto.wire.PromptGroupProto;
import dev.rlft.proto.wire.SamplingParamsProto;
import dev.rlft.rollout.RolloutWorker;
import java.util.ArrayList;
import java.util.List;

/**
 * Protobuf mapping of the rollout worker's request. Its reply, {@code Generated}, carries
 * trajectories and stays with Kryo.
 */
final class RolloutCodecs {

  private RolloutCodecs() {}

  static List<ControlCodec<?>> codecs() {
    return List.of(
        ControlCodec.of("rollout.PromptGroup", RolloutWorker.PromptGroup.class,
            (m, refs) -> group(m), (b, refs) -> group(PromptGroupProto.parseFrom(b))),
        ControlCodec.of("rollout.Generate", RolloutWorker.Generate.class,
            (m, refs) -> {
              GenerateRequest.Builder p = GenerateRequest.newBuilder().setBatchId(m.batchId())
                  .setSampling(sampling(m.sampling())).setMinVersion(m.minVersion())
                  .setReplyTo(refs.write(m.replyTo()));
              m.groups().forEach(g -> p.addGroups(group(g)));
              return p.build();
            },
            (b, refs) -> {
              GenerateRequest p = GenerateRequest.parseFrom(b);
              if (!p.hasSampling()) {
                throw new IllegalArgumentException("sampling settings are missing");
              }
              ArrayList<RolloutWorker.PromptGroup> groups = new ArrayList<>(p.getGroupsCount());
              p.getGroupsList().forEach(g -> groups.add(group(g)));
              return new RolloutWorker.Generate(p.getBatchId(), groups, sampling(p.getSampling()), p.getMinVersion(),
                  refs.required(p.getReplyTo(), "replyTo"));
            }));
  }

  static PromptGroupProto group(RolloutWorker.PromptGroup g) {
    return PromptGroupProto.newBuilder().setGroupId(g.groupId())
        .setProblemId(ControlCodecs.required(g.problemId(), "problemId")).addAllPrompt(ControlCodecs.boxed(g.prompt()))
        .setAnswer(ControlCodecs.required(g.answer(), "answer")).setSize(g.size()).build();
  }

  static RolloutWorker.PromptGroup group(PromptGroupProto p) {
    return new RolloutWorker.PromptGroup(p.getGroupId(), p.getProblemId(), ControlCodecs.ints(p.getPromptList()),
        p.getAnswer(), p.getSize());
  }

  static SamplingParamsProto sampling(SamplingParams s) {
    return SamplingParamsProto.newBuilder().setTemperature(s.temperature()).setTopP(s.topP()).setTopK(s.topK())
        .setMaxNewTokens(s.maxNewTokens()).setSeed(s.seed()).addAllStop(List.of(s.stop())).build();
  }

  static SamplingParams sampling(SamplingParamsProto p) {
    return new SamplingParams(p.getTemperature(), p.getTopP(), p.getTopK(), p.getMaxNewTokens(), p.getSeed(),
        p.getStopList().toArray(new String[0]));
  }
}
