package dev.rlft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlotCommandTest {

  @TempDir Path tmp;

  @Test
  void plot_writesOnePngPerMetric_andRejectsAMetricNoRunHas() throws IOException {
    for (String name : List.of("a/20260101-000000-seed1", "b/20260101-000000-seed2")) {
      Path run = Files.createDirectories(tmp.resolve(name));
      StringBuilder lines = new StringBuilder("{\"phase\":\"sft\",\"step\":1,\"loss\":2.0}\n");
      for (int i = 1; i <= 12; i++) {
        lines.append("{\"phase\":\"grpo\",\"step\":").append(i).append(",\"accuracy\":").append(0.3 + 0.02 * i)
            .append(",\"steps_mean\":").append(3 + (i % 3)).append("}\n");
      }
      Files.writeString(run.resolve("metrics.jsonl"), lines);
    }
    Path out = tmp.resolve("plots");
    CliRun run = CliRun.of("plot", tmp.resolve("a/20260101-000000-seed1").toString(),
        tmp.resolve("b/20260101-000000-seed2").toString(), "--metric", "accuracy", "--metric", "steps_mean",
        "--out", out.toString());
    assertEquals(0, run.exitCode(), run::toString);
    for (String metric : List.of("accuracy", "steps_mean")) {
      BufferedImage img = ImageIO.read(out.resolve(metric + ".png").toFile());
      assertEquals(800, img.getWidth());
      assertEquals(450, img.getHeight());
    }
    CliRun missing = CliRun.of("plot", tmp.resolve("a/20260101-000000-seed1").toString(), "--metric", "nope",
        "--out", out.toString());
    assertEquals(2, missing.exitCode(), missing::toString);
    assertTrue(missing.errorLines().get(0).contains("nope"), missing::toString);
  }
}
