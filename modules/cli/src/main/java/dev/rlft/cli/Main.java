package dev.rlft.cli;

import com.typesafe.config.ConfigException;
import dev.rlft.data.DatasetException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code rlft} command line. */
@Command(
    name = "rlft",
    mixinStandardHelpOptions = true,
    version = "rlft 0.1.0",
    description = "RL fine-tuning of language models for math reasoning (SFT, GRPO) on an actor system.",
    subcommands = {TrainCommand.class, NodeCommand.class, EvalCommand.class, GenerateCommand.class, ExportCommand.class, VerifyCommand.class, PrmCommand.class, PlotCommand.class, ReportCommand.class, StatusCommand.class, BenchCommand.class, SummarizeCommand.class,
        CommandLine.HelpCommand.class})
public final class Main {

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns the exit code (2 for user errors, 1 for internal ones). */
  public static int run(String... args) {
    CommandLine cli = new CommandLine(new Main());
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
      String user = userError(e);
      if (user != null) {
        cmd.getErr().println("rlft: error: " + user);
        return 2;
      }
      e.printStackTrace(cmd.getErr());
      return 1;
    });
    return cli.execute(args);
  }

  /** A one-line message for errors caused by the user's input, or null for internal errors. */
  static String userError(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof DatasetException || t instanceof IllegalArgumentException) {
        return t.getMessage();
      }
      if (t instanceof ConfigException) {
        return "configuration: " + t.getMessage();
      }
      if (t instanceof NoSuchFileException nf) {
        return "no such file: " + nf.getFile();
      }
      if (t instanceof IOException || t instanceof UncheckedIOException) {
        return t.getMessage();
      }
    }
    return null;
  }
}
