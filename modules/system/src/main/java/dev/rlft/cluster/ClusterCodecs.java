package dev.rlft.cluster;

import ai.djl.ndarray.types.DataType;
import dev.rlft.checkpoint.Checkpoint;
import dev.rlft.model.LoraConfig;
import dev.rlft.model.Tokenizer;
import dev.rlft.proto.checkpoint.LoraProto;
import dev.rlft.proto.cluster.RunSpecProto;
import dev.rlft.rollout.RolloutWorker;
import dev.rlft.wire.ControlCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** Protobuf mapping of the messages between cluster nodes ({@code proto/cluster.proto}). */
public final class ClusterCodecs {

  private ClusterCodecs() {}

  public static List<ControlCodec<?>> codecs() {
    return List.of(ControlCodec.of("cluster.RunSpec", RunSpec.class,
        (m, refs) -> toProto(m), (b, refs) -> fromProto(RunSpecProto.parseFrom(b))));
  }

  static RunSpecProto toProto(RunSpec s) {
    RunSpecProto.Builder p = RunSpecProto.newBuilder().setIncarnation(s.incarnation())
        .setModel(Checkpoint.toProto(s.rollout().config())).setTokenizer(Checkpoint.toProto(s.tokenizer()))
        .addAllEosIds(new TreeSet<>(s.rollout().eosIds())).setDtype(s.rollout().dtype().name())
        .setWeightsTimeoutMs(s.weightsTimeout().toMillis()).setRunConfig(s.runConfig());
    LoraConfig l = s.rollout().lora();
    if (l != null) {
      p.setLora(LoraProto.newBuilder().setRank(l.rank()).setAlpha(l.alpha()).setDropout(l.dropout())
          .addAllTargets(new TreeSet<>(l.targets())));
    }
    return p.build();
  }

  static RunSpec fromProto(RunSpecProto p) {
    if (!p.hasModel() || !p.hasTokenizer()) {
      throw new IllegalArgumentException("run spec without a model or a tokenizer");
    }
    Tokenizer tokenizer;
    try {
      tokenizer = Checkpoint.tokenizerFromProto(p.getTokenizer(), Path.of("run spec"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    LoraConfig lora = p.hasLora() ? new LoraConfig(p.getLora().getRank(), p.getLora().getAlpha(),
        p.getLora().getDropout(), new HashSet<>(p.getLora().getTargetsList())) : null;
    DataType dtype;
    try {
      dtype = DataType.valueOf(p.getDtype());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown rollout dtype '" + p.getDtype() + "'", e);
    }
    Set<Integer> eos = Set.copyOf(p.getEosIdsList());
    return new RunSpec(p.getIncarnation(),
        new RolloutWorker.ModelSpec(Checkpoint.fromProto(p.getModel()), lora, eos, dtype), tokenizer,
        Duration.ofMillis(p.getWeightsTimeoutMs()), p.getRunConfig());
  }
}
