package dev.rlft.cluster;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A node role: the deployment unit that decides what a cluster node runs. A node may hold any
 * combination.
 */
public enum Role {
  /** Rollout workers (each with a model copy on its own thread), registered with the receptionist. */
  ROLLOUT,
  /** A pool of reward workers (answer checks), registered with the receptionist. */
  REWARD,
  /** The learner and the coordinator, as cluster singletons, and the run folder. */
  LEARNER,
  /** The parameter server, as a cluster singleton. */
  PARAMS;

  /** The role's name in configuration and in Pekko's member roles. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses role names (case-insensitive); an unknown one is an error that lists the valid ones. */
  public static Set<Role> parse(List<String> names) {
    Set<Role> roles = EnumSet.noneOf(Role.class);
    for (String n : names) {
      String t = n.trim();
      if (t.isEmpty()) {
        continue;
      }
      Role r = Arrays.stream(values()).filter(v -> v.id().equals(t.toLowerCase(Locale.ROOT))).findFirst()
          .orElseThrow(() -> new IllegalArgumentException("unknown node role '" + t + "'; valid roles: "
              + Arrays.stream(values()).map(Role::id).toList()));
      roles.add(r);
    }
    if (roles.isEmpty()) {
      throw new IllegalArgumentException("a node needs at least one role of "
          + Arrays.stream(values()).map(Role::id).toList());
    }
    return roles;
  }
}
