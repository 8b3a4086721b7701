package dev.rlft.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code rlft report}: (re)writes a run folder's plots and report.md, as the end of {@code rlft train} does. */
@Command(name = "report", mixinStandardHelpOptions = true,
    description = "Write plots/*.png and report.md for run folders (rlft train does this at the end of every run).")
final class ReportCommand implements Callable<Integer> {

  @Parameters(paramLabel = "RUN", arity = "1..*", description = "run folders") List<Path> runs;

  @Override
  public Integer call() throws Exception {
    for (Path run : runs) {
      System.out.println("wrote " + RunReport.write(run, null));
    }
    return 0;
  }
}
