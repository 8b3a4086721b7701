package dev.rlft.cli;

import dev.rlft.checkpoint.ModelSource;
import dev.rlft.model.HuggingFaceFolder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code rlft export}: an rlft checkpoint as a Hugging Face model folder (LoRA adapters merged in). */
@Command(name = "export", mixinStandardHelpOptions = true,
    description = "Write a checkpoint as a Hugging Face model folder (safetensors, config.json, tokenizer) for "
        + "transformers or vLLM; LoRA adapters are merged into the weights.")
final class ExportCommand implements Callable<Integer> {

  @Option(names = "--checkpoint", required = true, paramLabel = "DIR", description = "rlft checkpoint folder")
  Path checkpoint;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "folder to write (must not exist)")
  Path out;

  @Override
  public Integer call() throws Exception {
    if (Files.exists(out)) {
      throw new IllegalArgumentException(out + " already exists; choose a new folder");
    }
    ModelSource source = ModelSource.load(checkpoint);
    HuggingFaceFolder.save(out, source.config(), source.weights(), source.tokenizer());
    System.out.println("wrote " + out + " (" + source.config().architecture().className() + ", "
        + source.config().parameterCount() + " parameters)");
    return 0;
  }
}
