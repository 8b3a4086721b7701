package dev.rlft.wire;

import com.google.protobuf.ByteString;
import dev.rlft.params.ParameterServer;
import dev.rlft.params.WeightDataPlane;
import dev.rlft.params.WeightManifest;
import dev.rlft.params.WeightReceiver;
import dev.rlft.params.WeightSender;
import dev.rlft.params.WeightSnapshot;
import dev.rlft.proto.wire.DataEndpointProto;
import dev.rlft.proto.wire.GetSubscribersRequest;
import dev.rlft.proto.wire.GetVersionRequest;
import dev.rlft.proto.wire.GetWeightsRequest;
import dev.rlft.proto.wire.PublishedReply;
import dev.rlft.proto.wire.SubscribeRequest;
import dev.rlft.proto.wire.SubscribersReply;
import dev.rlft.proto.wire.TensorEntryProto;
import dev.rlft.proto.wire.VersionReply;
import dev.rlft.proto.wire.VersionSyncedReport;
import dev.rlft.proto.wire.WatchSyncRequest;
import dev.rlft.proto.wire.WeightComplete;
import dev.rlft.proto.wire.WeightCredit;
import dev.rlft.proto.wire.WeightDataUnavailable;
import dev.rlft.proto.wire.WeightManifestProto;
import dev.rlft.proto.wire.WeightOffer;
import dev.rlft.proto.wire.WeightRequest;
import dev.rlft.proto.wire.WeightResend;
import java.util.List;

/**
 * Protobuf mapping of the parameter server's control messages and of the weight-sync protocol
 * between a sender session and a receiver (offer with its manifest, request, credit, resend,
 * completion). {@code Publish} and {@code WeightsReply} carry weights, and {@code
 * WeightReceiver.Chunk} carries weight bytes: those stay with Kryo.
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
            (b, refs) -> new ParameterServer.Version(VersionReply.parseFrom(b).getVersion())),
        ControlCodec.of("params.Subscribe", ParameterServer.Subscribe.class,
            (m, refs) -> SubscribeRequest.newBuilder().setReceiver(refs.write(m.receiver()))
                .setHaveVersion(m.haveVersion()).build(),
            (b, refs) -> {
              SubscribeRequest p = SubscribeRequest.parseFrom(b);
              return new ParameterServer.Subscribe(refs.required(p.getReceiver(), "receiver"), p.getHaveVersion());
            }),
        ControlCodec.of("params.WatchSync", ParameterServer.WatchSync.class,
            (m, refs) -> WatchSyncRequest.newBuilder().setListener(refs.write(m.listener())).build(),
            (b, refs) -> new ParameterServer.WatchSync(
                refs.required(WatchSyncRequest.parseFrom(b).getListener(), "listener"))),
        ControlCodec.of("params.GetSubscribers", ParameterServer.GetSubscribers.class,
            (m, refs) -> GetSubscribersRequest.newBuilder().setReplyTo(refs.write(m.replyTo())).build(),
            (b, refs) -> new ParameterServer.GetSubscribers(
                refs.required(GetSubscribersRequest.parseFrom(b).getReplyTo(), "replyTo"))),
        ControlCodec.of("params.Subscribers", ParameterServer.Subscribers.class,
            (m, refs) -> SubscribersReply.newBuilder().setCount(m.count()).build(),
            (b, refs) -> new ParameterServer.Subscribers(SubscribersReply.parseFrom(b).getCount())),
        ControlCodec.of("params.VersionSynced", ParameterServer.VersionSynced.class,
            (m, refs) -> VersionSyncedReport.newBuilder().setVersion(m.version()).setDelivered(m.delivered())
                .setSuperseded(m.superseded()).setFailed(m.failed()).setPayloadBytes(m.bytes()).setChunks(m.chunks())
                .setResent(m.resent()).setMaxInFlight(m.maxInFlight()).setPrepareNanos(m.prepareNanos())
                .setNanos(m.nanos()).build(),
            (b, refs) -> {
              VersionSyncedReport p = VersionSyncedReport.parseFrom(b);
              return new ParameterServer.VersionSynced(p.getVersion(), p.getDelivered(), p.getSuperseded(),
                  p.getFailed(), p.getPayloadBytes(), p.getChunks(), p.getResent(), p.getMaxInFlight(),
                  p.getPrepareNanos(), p.getNanos());
            }),
        ControlCodec.of("params.WeightManifest", WeightManifest.class,
            (m, refs) -> manifest(m), (b, refs) -> manifest(WeightManifestProto.parseFrom(b))),
        ControlCodec.of("params.Offer", WeightReceiver.Offer.class,
            (m, refs) -> {
              WeightOffer.Builder p = WeightOffer.newBuilder().setManifest(manifest(m.manifest()))
                  .setSender(refs.write(m.sender())).setEagerStream(m.eagerStream());
              if (m.data() != null) {
                p.setData(endpoint(m.data()));
              }
              if (m.eagerTensors() != null) {
                p.setHasEagerTensors(true).addAllEagerTensors(ControlCodecs.boxed(m.eagerTensors()));
              }
              return p.build();
            },
            (b, refs) -> {
              WeightOffer p = WeightOffer.parseFrom(b);
              if (!p.hasManifest()) {
                throw new IllegalArgumentException("manifest is missing");
              }
              return new WeightReceiver.Offer(manifest(p.getManifest()), refs.required(p.getSender(), "sender"),
                  p.hasData() ? endpoint(p.getData()) : null, p.getEagerStream(),
                  p.getHasEagerTensors() ? ControlCodecs.ints(p.getEagerTensorsList()) : null);
            }),
        ControlCodec.of("params.Request", WeightSender.Request.class,
            (m, refs) -> WeightRequest.newBuilder().setVersion(m.version()).setStream(m.stream())
                .addAllTensors(ControlCodecs.boxed(m.tensors())).setGrantedUpTo(m.grantedUpTo()).build(),
            (b, refs) -> {
              WeightRequest p = WeightRequest.parseFrom(b);
              return new WeightSender.Request(p.getVersion(), p.getStream(), ControlCodecs.ints(p.getTensorsList()),
                  p.getGrantedUpTo());
            }),
        ControlCodec.of("params.Credit", WeightSender.Credit.class,
            (m, refs) -> WeightCredit.newBuilder().setStream(m.stream()).setAccepted(m.accepted())
                .setGrantedUpTo(m.grantedUpTo()).build(),
            (b, refs) -> {
              WeightCredit p = WeightCredit.parseFrom(b);
              return new WeightSender.Credit(p.getStream(), p.getAccepted(), p.getGrantedUpTo());
            }),
        ControlCodec.of("params.Resend", WeightSender.Resend.class,
            (m, refs) -> WeightResend.newBuilder().setStream(m.stream()).addAllSeqs(ControlCodecs.boxed(m.seqs()))
                .build(),
            (b, refs) -> {
              WeightResend p = WeightResend.parseFrom(b);
              return new WeightSender.Resend(p.getStream(), ControlCodecs.ints(p.getSeqsList()));
            }),
        ControlCodec.of("params.Complete", WeightSender.Complete.class,
            (m, refs) -> {
              WeightComplete.Builder p = WeightComplete.newBuilder().setVersion(m.version()).setOk(m.ok());
              if (m.error() != null) {
                p.setError(m.error());
              }
              return p.build();
            },
            (b, refs) -> {
              WeightComplete p = WeightComplete.parseFrom(b);
              return new WeightSender.Complete(p.getVersion(), p.getOk(), p.hasError() ? p.getError() : null);
            }),
        ControlCodec.of("params.DataUnavailable", WeightSender.DataUnavailable.class,
            (m, refs) -> {
              WeightDataUnavailable.Builder p = WeightDataUnavailable.newBuilder().setTokenHigh(m.tokenHigh())
                  .setTokenLow(m.tokenLow()).setAdmitted(m.admitted());
              if (m.reason() != null) {
                p.setReason(m.reason());
              }
              return p.build();
            },
            (b, refs) -> {
              WeightDataUnavailable p = WeightDataUnavailable.parseFrom(b);
              return new WeightSender.DataUnavailable(p.getTokenHigh(), p.getTokenLow(),
                  p.hasReason() ? p.getReason() : null, p.getAdmitted());
            }));
  }

  static WeightManifestProto manifest(WeightManifest m) {
    WeightManifestProto.Builder p = WeightManifestProto.newBuilder().setVersion(m.version()).setKind(m.kind().name())
        .setChunkSize(m.chunkSize()).addAllChunkCrcs(ControlCodecs.boxed(m.chunkCrcs()))
        .setDigest(ByteString.copyFrom(m.digest()));
    for (WeightManifest.TensorEntry t : m.tensors()) {
      TensorEntryProto.Builder e = TensorEntryProto.newBuilder().setName(ControlCodecs.required(t.name(), "name"))
          .setDtype(ControlCodecs.required(t.dtype(), "dtype")).setSizeBytes(t.bytes()).setDigest(t.digest());
      for (long d : t.shape()) {
        e.addShape(d);
      }
      p.addTensors(e);
    }
    return p.build();
  }

  /** The manifest's own validation refuses one that is inconsistent (chunk count, digest length, dtype). */
  static WeightManifest manifest(WeightManifestProto p) {
    WeightManifest.TensorEntry[] tensors = new WeightManifest.TensorEntry[p.getTensorsCount()];
    for (int i = 0; i < tensors.length; i++) {
      TensorEntryProto e = p.getTensors(i);
      long[] shape = new long[e.getShapeCount()];
      for (int d = 0; d < shape.length; d++) {
        shape[d] = e.getShape(d);
      }
      tensors[i] = new WeightManifest.TensorEntry(e.getName(), e.getDtype(), shape, e.getSizeBytes(), e.getDigest());
    }
    return new WeightManifest(p.getVersion(), kind(p.getKind()), p.getChunkSize(), tensors,
        ControlCodecs.ints(p.getChunkCrcsList()), p.getDigest().toByteArray());
  }

  private static WeightSnapshot.Kind kind(String name) {
    for (WeightSnapshot.Kind k : WeightSnapshot.Kind.values()) {
      if (k.name().equals(name)) {
        return k;
      }
    }
    throw new IllegalArgumentException("unknown weight kind '" + name + "' (known: "
        + List.of(WeightSnapshot.Kind.values()) + ")");
  }

  static DataEndpointProto endpoint(WeightDataPlane.DataEndpoint e) {
    return DataEndpointProto.newBuilder().setHost(ControlCodecs.required(e.host(), "data.host")).setPort(e.port())
        .setTokenHigh(e.tokenHigh()).setTokenLow(e.tokenLow()).build();
  }

  static WeightDataPlane.DataEndpoint endpoint(DataEndpointProto p) {
    if (p.getHost().isEmpty() || p.getPort() < 1 || p.getPort() > 65_535) {
      throw new IllegalArgumentException("data endpoint '" + p.getHost() + ":" + p.getPort() + "' is not an address");
    }
    return new WeightDataPlane.DataEndpoint(p.getHost(), p.getPort(), p.getTokenHigh(), p.getTokenLow());
  }
}
