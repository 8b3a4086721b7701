package dev.rlft.wire;

import dev.rlft.health.HealthMonitor;
import dev.rlft.proto.wire.ActorHealthProto;
import dev.rlft.proto.wire.GetHealthRequest;
import dev.rlft.proto.wire.HealthReportProto;
import dev.rlft.proto.wire.HeartbeatProto;
import dev.rlft.proto.wire.RunStartedProto;
import java.util.ArrayList;
import java.util.List;

/**
 * Protobuf mapping of the health monitor's protocol: heartbeats from every node's reporters, the
 * run's start, and the health table a node's readiness check asks for.
 */
final class HealthCodecs {

  private HealthCodecs() {}

  static List<ControlCodec<?>> codecs() {
    return List.of(
        ControlCodec.of("health.Heartbeat", HealthMonitor.Heartbeat.class,
            (m, refs) -> HeartbeatProto.newBuilder().setNode(ControlCodecs.required(m.node(), "node"))
                .setActor(ControlCodecs.required(m.actor(), "actor")).setRole(ControlCodecs.required(m.role(), "role"))
                .setRef(refs.write(m.ref())).setState(ControlCodecs.required(m.state(), "state")).setQueue(m.queue())
                .setBusySeconds(m.busySeconds()).setIdleSeconds(m.idleSeconds()).setRestarts(m.restarts())
                .setWeightVersion(m.weightVersion()).setProcessed(m.processed()).setFailures(m.failures())
                .addAllGauges(ControlCodecs.named(m.gauges())).build(),
            (b, refs) -> {
              HeartbeatProto p = HeartbeatProto.parseFrom(b);
              if (p.getNode().isEmpty() || p.getActor().isEmpty() || p.getState().isEmpty()) {
                throw new IllegalArgumentException("a heartbeat needs a node, an actor and a state");
              }
              return new HealthMonitor.Heartbeat(p.getNode(), p.getActor(), p.getRole(), refs.read(p.getRef()),
                  p.getState(), p.getQueue(), p.getBusySeconds(), p.getIdleSeconds(), p.getRestarts(),
                  p.getWeightVersion(), p.getProcessed(), p.getFailures(), ControlCodecs.doubles(p.getGaugesList()));
            }),
        ControlCodec.of("health.RunStarted", HealthMonitor.RunStarted.class,
            (m, refs) -> RunStartedProto.newBuilder().setRun(ControlCodecs.required(m.run(), "run")).build(),
            (b, refs) -> new HealthMonitor.RunStarted(RunStartedProto.parseFrom(b).getRun())),
        ControlCodec.of("health.GetHealth", HealthMonitor.GetHealth.class,
            (m, refs) -> GetHealthRequest.newBuilder().setReplyTo(refs.write(m.replyTo())).build(),
            (b, refs) -> new HealthMonitor.GetHealth(
                refs.required(GetHealthRequest.parseFrom(b).getReplyTo(), "replyTo"))),
        ControlCodec.of("health.ActorHealth", HealthMonitor.ActorHealth.class,
            (m, refs) -> row(m, refs), (b, refs) -> row(ActorHealthProto.parseFrom(b), refs)),
        ControlCodec.of("health.HealthReport", HealthMonitor.HealthReport.class,
            (m, refs) -> {
              HealthReportProto.Builder p = HealthReportProto.newBuilder().setAtMillis(m.atMillis())
                  .setRun(ControlCodecs.required(m.run(), "run")).setStarted(m.started()).setReady(m.ready())
                  .setStatus(ControlCodecs.required(m.status(), "status"))
                  .setReason(ControlCodecs.required(m.reason(), "reason"));
              m.actors().forEach(a -> p.addActors(row(a, refs)));
              return p.build();
            },
            (b, refs) -> {
              HealthReportProto p = HealthReportProto.parseFrom(b);
              ArrayList<HealthMonitor.ActorHealth> rows = new ArrayList<>(p.getActorsCount());
              p.getActorsList().forEach(a -> rows.add(row(a, refs)));
              return new HealthMonitor.HealthReport(p.getAtMillis(), p.getRun(), p.getStarted(), p.getReady(),
                  status(p.getStatus()), p.getReason(), rows);
            }));
  }

  static ActorHealthProto row(HealthMonitor.ActorHealth a, Refs refs) {
    return ActorHealthProto.newBuilder().setNode(ControlCodecs.required(a.node(), "node"))
        .setActor(ControlCodecs.required(a.actor(), "actor")).setRole(ControlCodecs.required(a.role(), "role"))
        .setStatus(ControlCodecs.required(a.status(), "status")).setReason(ControlCodecs.required(a.reason(), "reason"))
        .setState(ControlCodecs.required(a.state(), "state")).setLastSeenSeconds(a.lastSeenSeconds())
        .setQueue(a.queue()).setBusySeconds(a.busySeconds()).setIdleSeconds(a.idleSeconds())
        .setRestarts(a.restarts()).setWeightVersion(a.weightVersion()).setProcessed(a.processed())
        .setFailures(a.failures()).addAllGauges(ControlCodecs.named(a.gauges())).setRef(refs.write(a.ref())).build();
  }

  static HealthMonitor.ActorHealth row(ActorHealthProto p, Refs refs) {
    return new HealthMonitor.ActorHealth(p.getNode(), p.getActor(), p.getRole(), status(p.getStatus()),
        p.getReason(), p.getState(), p.getLastSeenSeconds(), p.getQueue(), p.getBusySeconds(), p.getIdleSeconds(),
        p.getRestarts(), p.getWeightVersion(), p.getProcessed(), p.getFailures(),
        ControlCodecs.doubles(p.getGaugesList()), refs.read(p.getRef()));
  }

  /** A status this node does not know would make its readiness verdict meaningless: refused. */
  private static String status(String s) {
    return switch (s) {
      case HealthMonitor.OK, HealthMonitor.LATE, HealthMonitor.DOWN, HealthMonitor.ENDED -> s;
      default -> throw new IllegalArgumentException("unknown health status '" + s + "'");
    };
  }
}
