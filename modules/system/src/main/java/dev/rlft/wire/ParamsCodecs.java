package dev.rlft.wire;

import dev.rlft.params.ParameterServer;
import dev.rlft.proto.wire.GetVersionRequest;
import dev.rlft.proto.wire.GetWeightsRequest;
import dev.rlft.proto.wire.PublishedReply;
import dev.rlft.proto.wire.VersionReply;
import java.util.List;

/**
 * Protobuf mapping of the parameter server's control messages. {@code Publish} and {@code
 * WeightsReply} carry weights and stay with Kryo.
 */
final class ParamsCodecs {

  private ParamsCodecs() {}

  static List<ControlCodec<?>> codecs() {
    return List.of(
        ControlCodec.of("params.GetWeights", ParameterServer.GetWeights.class,
            (m, refs) -> GetWeightsRequest.newBuilder().setHaveVersion(m.haveVersion()).setMinVersion(m.minVersion())
                .setReplyTo(refs.write(m.replyTo())).build(),
            (b, refs) -> {
              GetWeightsRequest p = GetWeightsRequest.parseFrom(b);
              return new ParameterServer.GetWeights(p.getHaveVersion(), p.getMinVersion(),
                  refs.required(p.getReplyTo(), "replyTo"));
            }),
        ControlCodec.of("params.GetVersion", ParameterServer.GetVersion.class,
            (m, refs) -> GetVersionRequest.newBuilder().setReplyTo(refs.write(m.replyTo())).build(),
            (b, refs) -> new ParameterServer.GetVersion(
                refs.required(GetVersionRequest.parseFrom(b).getReplyTo(), "replyTo"))),
        ControlCodec.of("params.Published", ParameterServer.Published.class,
            (m, refs) -> PublishedReply.newBuilder().setVersion(m.version()).build(),
            (b, refs) -> new ParameterServer.Published(PublishedReply.parseFrom(b).getVersion())),
        ControlCodec.of("params.Version", ParameterServer.Version.class,
            (m, refs) -> VersionReply.newBuilder().setVersion(m.version()).build(),
            (b, refs) -> new ParameterServer.Version(VersionReply.parseFrom(b).getVersion())));
  }
}
