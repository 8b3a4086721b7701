package dev.rlft.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Options every command shares: a HOCON file, {@code --set} overrides and the seed. */
public final class ConfigOptions {

  @Option(names = "--config", paramLabel = "FILE", description = "HOCON file with settings (see reference.conf)")
  Path configFile;

  @Option(names = "--set", paramLabel = "PATH=VALUE",
      description = "override one setting, path relative to `rlft` (e.g. --set grpo.lr=3e-5); repeatable")
  List<String> sets = new ArrayList<>();

  @Option(names = "--seed", description = "master seed (default: rlft.seed = 1)")
  Long seed;

  /** Flag-level overrides added by a command, applied after --config and before --set. */
  final List<String> flagOverrides = new ArrayList<>();

  /** Defaults a command adds under --config and over the reference (a cluster node's Pekko settings). */
  Config defaults = ConfigFactory.empty();

  void flag(String path, Object value) {
    if (value != null) {
      flagOverrides.add(path + "=" + value);
    }
  }

  /** Resolves defaults, the file, flags and --set, in that order of increasing precedence. */
  Config resolve() {
    Config c = ConfigFactory.empty();
    if (seed != null) {
      flag("seed", seed);
    }
    List<String> all = new ArrayList<>(flagOverrides);
    all.addAll(sets);
    for (String kv : all) {
      int eq = kv.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("--set expects PATH=VALUE, got '" + kv + "'");
      }
      String path = "rlft." + kv.substring(0, eq).trim();
      String value = kv.substring(eq + 1).trim();
      Config parsed;
      try {
        parsed = ConfigFactory.parseString("v = " + value);
      } catch (com.typesafe.config.ConfigException e) {
        parsed = ConfigFactory.empty().withValue("v", ConfigValueFactory.fromAnyRef(value));
      }
      c = c.withValue(path, parsed.getValue("v"));
    }
    if (configFile != null) {
      if (!Files.isRegularFile(configFile)) {
        throw new IllegalArgumentException("config file not found: " + configFile);
      }
      c = c.withFallback(ConfigFactory.parseFile(new File(configFile.toString())));
    }
    Config resolved = c.withFallback(defaults).withFallback(ConfigFactory.defaultReference()).resolve();
    for (String kv : all) {
      String path = "rlft." + kv.substring(0, kv.indexOf('=')).trim();
      if (!ConfigFactory.defaultReference().hasPathOrNull(path)) {
        throw new IllegalArgumentException("unknown setting '" + path.substring(5) + "' (see rlft reference.conf)");
      }
    }
    return resolved;
  }
}
