package dev.rlft.checkpoint;

import com.google.protobuf.ByteString;
import dev.rlft.model.CharTokenizer;
import dev.rlft.model.LoraConfig;
import dev.rlft.model.ModelConfig;
import dev.rlft.model.RopeScaling;
import dev.rlft.model.Tokenizer;
import dev.rlft.proto.checkpoint.CheckpointManifest;
import dev.rlft.proto.checkpoint.CriticProto;
import dev.rlft.proto.checkpoint.LoraProto;
import dev.rlft.proto.checkpoint.ModelConfigProto;
import dev.rlft.proto.checkpoint.RopeScalingProto;
import dev.rlft.proto.checkpoint.TensorEntry;
import dev.rlft.proto.checkpoint.TokenizerProto;
import dev.rlft.tokenizer.FileTokenizer;
import dev.rlft.tokenizer.TokenizerFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.CRC32;

/**
 * A saved model: weights, model config, tokenizer, optimizer moments and counters.
 *
 * <p>On disk a checkpoint is a folder holding {@code manifest.pb} (a {@link CheckpointManifest})
 * and {@code tensors.bin} (little-endian float32, CRC32 in the manifest). {@link #save} writes a
 * temporary sibling folder, fsyncs both files and renames it into place, so a reader sees either
 * the previous checkpoint or the complete new one, never a half-written one. Replacing an existing
 * checkpoint moves the old folder aside first and back if the new one cannot be moved in; a crash
 * between the two renames leaves the previous checkpoint under {@code .NAME.old-*} beside it.
 *
 * @param tokenizer a {@link CharTokenizer} or a {@link FileTokenizer} (its files are stored in the manifest)
 * @param weights model weights; with {@code lora}, the frozen base
 * @param optimizerState AdamW moments ("m/NAME", "v/NAME") of what was trained; empty when not saved
 * @param lora adapter settings, or null when the whole model was trained
 * @param adapters adapter matrices (PEFT names); empty without {@code lora}
 * @param critic a PPO run's critic, or null (GRPO and SFT checkpoints, and every checkpoint written
 *     before critics were saved)
 */
public record Checkpoint(
    ModelConfig model,
    Tokenizer tokenizer,
    Map<String, float[]> weights,
    Map<String, float[]> optimizerState,
    long optimizerSteps,
    long weightVersion,
    String phase,
    Map<String, String> metadata,
    LoraConfig lora,
    Map<String, float[]> adapters,
    Critic critic) {

  /**
   * A PPO critic ({@code dev.rlft.train.ValueModel}): its full-weight backbone, of the policy's
   * shape, and its value head in one map (the names do not collide), with its optimizer's moments
   * and step count.
   *
   * @param optimizerState AdamW moments ("m/NAME", "v/NAME"); empty when not saved
   */
  public record Critic(Map<String, float[]> weights, Map<String, float[]> optimizerState, long optimizerSteps) {
    public Critic {
      weights = Map.copyOf(weights);
      optimizerState = Map.copyOf(optimizerState);
      if (weights.isEmpty()) {
        throw new IllegalArgumentException("a critic without weights");
      }
      if (optimizerSteps < 0) {
        throw new IllegalArgumentException("critic optimizer steps must be >= 0, got " + optimizerSteps);
      }
    }
  }

  public static final int FORMAT_VERSION = 1;
  public static final String MANIFEST = "manifest.pb";
  static final String TENSORS = "tensors.bin";

  public Checkpoint {
    weights = Map.copyOf(weights);
    optimizerState = Map.copyOf(optimizerState);
    metadata = Map.copyOf(metadata);
    adapters = Map.copyOf(adapters);
    if (!(tokenizer instanceof CharTokenizer) && !(tokenizer instanceof FileTokenizer)) {
      throw new IllegalArgumentException("a checkpoint stores a CharTokenizer or a FileTokenizer, not " + tokenizer);
    }
    if (lora == null && !adapters.isEmpty()) {
      throw new IllegalArgumentException("adapters without a LoRA config");
    }
  }

  /** A checkpoint without a critic. */
  public Checkpoint(ModelConfig model, Tokenizer tokenizer, Map<String, float[]> weights,
      Map<String, float[]> optimizerState, long optimizerSteps, long weightVersion, String phase,
      Map<String, String> metadata, LoraConfig lora, Map<String, float[]> adapters) {
    this(model, tokenizer, weights, optimizerState, optimizerSteps, weightVersion, phase, metadata, lora, adapters,
        null);
  }

  /** This checkpoint with {@code critic} (null: without one). */
  public Checkpoint withCritic(Critic critic) {
    return new Checkpoint(model, tokenizer, weights, optimizerState, optimizerSteps, weightVersion, phase, metadata,
        lora, adapters, critic);
  }

  /** A checkpoint of a fully trained model (no adapters). */
  public Checkpoint(ModelConfig model, Tokenizer tokenizer, Map<String, float[]> weights,
      Map<String, float[]> optimizerState, long optimizerSteps, long weightVersion, String phase,
      Map<String, String> metadata) {
    this(model, tokenizer, weights, optimizerState, optimizerSteps, weightVersion, phase, metadata, null, Map.of(),
        null);
  }

  /** Writes this checkpoint to {@code dir} atomically, replacing what was there. */
  public void save(Path dir) throws IOException {
    Path parent = dir.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path tmp = Files.createTempDirectory(parent, "." + dir.getFileName() + ".tmp-");
    try {
      CheckpointManifest.Builder manifest = CheckpointManifest.newBuilder()
          .setFormatVersion(FORMAT_VERSION)
          .setModel(toProto(model))
          .setTokenizer(toProto(tokenizer))
          .setOptimizerSteps(optimizerSteps)
          .setStep(optimizerSteps)
          .setWeightVersion(weightVersion)
          .setPhase(phase)
          .setCreatedBy("rlft")
          .putAllMetadata(metadata);
      if (lora != null) {
        manifest.setLora(LoraProto.newBuilder().setRank(lora.rank()).setAlpha(lora.alpha())
            .setDropout(lora.dropout()).addAllTargets(new java.util.TreeSet<>(lora.targets())));
      }
      CRC32 crc = new CRC32();
      try (FileChannel out = FileChannel.open(tmp.resolve(TENSORS), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        long offset = 0;
        offset = writeTensors(out, new java.util.TreeMap<>(weights), offset, crc, manifest::addWeights);
        offset = writeTensors(out, new java.util.TreeMap<>(optimizerState), offset, crc, manifest::addOptimizerState);
        offset = writeTensors(out, new java.util.TreeMap<>(adapters), offset, crc, manifest::addAdapters);
        if (critic != null) {
          CriticProto.Builder c = CriticProto.newBuilder().setOptimizerSteps(critic.optimizerSteps());
          offset = writeTensors(out, new java.util.TreeMap<>(critic.weights()), offset, crc, c::addWeights);
          writeTensors(out, new java.util.TreeMap<>(critic.optimizerState()), offset, crc, c::addOptimizerState);
          manifest.setCritic(c);
        }
        out.force(true);
      }
      manifest.setTensorsCrc32((int) crc.getValue());
      try (OutputStream out = Files.newOutputStream(tmp.resolve(MANIFEST), StandardOpenOption.CREATE_NEW)) {
        manifest.build().writeTo(out);
      }
      try (FileChannel ch = FileChannel.open(tmp.resolve(MANIFEST), StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      fsyncDir(tmp); // the folder's entries are durable before the rename publishes them
      Path old = null;
      if (Files.exists(dir)) {
        old = Files.createTempDirectory(parent, "." + dir.getFileName() + ".old-");
        Files.delete(old);
        Files.move(dir, old, StandardCopyOption.ATOMIC_MOVE);
      }
      try {
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        if (old != null) {
          Files.move(old, dir, StandardCopyOption.ATOMIC_MOVE); // put the previous checkpoint back
        }
        throw new IOException("cannot move checkpoint into place at " + dir + ": " + e.getMessage(), e);
      }
      if (old != null) {
        deleteTree(old);
      }
      fsyncDir(parent);
    } finally {
      if (Files.exists(tmp)) {
        deleteTree(tmp);
      }
    }
  }

  private static long writeTensors(FileChannel out, Map<String, float[]> tensors, long offset, CRC32 crc,
      java.util.function.Consumer<TensorEntry> sink) throws IOException {
    for (Map.Entry<String, float[]> e : tensors.entrySet()) {
      float[] data = e.getValue();
      ByteBuffer buf = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
      buf.asFloatBuffer().put(data);
      crc.update(buf.duplicate());
      while (buf.hasRemaining()) {
        out.write(buf);
      }
      TensorEntry entry = TensorEntry.newBuilder()
          .setName(e.getKey()).addShape(data.length).setOffset(offset).setLength(data.length * 4L).build();
      sink.accept(entry);
      offset += data.length * 4L;
    }
    return offset;
  }

  /** Reads a checkpoint folder written by {@link #save}; a damaged one is an IOException naming the problem. */
  public static Checkpoint load(Path dir) throws IOException {
    Path manifestFile = dir.resolve(MANIFEST);
    Path tensorsFile = dir.resolve(TENSORS);
    if (!Files.isRegularFile(manifestFile) || !Files.isRegularFile(tensorsFile)) {
      throw new IOException(dir + ": not an rlft checkpoint (needs " + MANIFEST + " and " + TENSORS + ")");
    }
    CheckpointManifest manifest;
    try (var in = Files.newInputStream(manifestFile)) {
      manifest = CheckpointManifest.parseFrom(in);
    }
    if (manifest.getFormatVersion() != FORMAT_VERSION) {
      throw new IOException(dir + ": checkpoint format " + manifest.getFormatVersion() + ", expected " + FORMAT_VERSION);
    }
    byte[] bytes = Files.readAllBytes(tensorsFile);
    CRC32 crc = new CRC32();
    crc.update(bytes);
    if ((int) crc.getValue() != manifest.getTensorsCrc32()) {
      throw new IOException(dir + ": " + TENSORS + " is corrupt (CRC32 mismatch)");
    }
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    return new Checkpoint(
        fromProto(manifest.getModel()),
        tokenizerFromProto(manifest.getTokenizer(), dir),
        readTensors(manifest.getWeightsList(), buf, dir),
        readTensors(manifest.getOptimizerStateList(), buf, dir),
        manifest.getOptimizerSteps(),
        manifest.getWeightVersion(),
        manifest.getPhase(),
        manifest.getMetadataMap(),
        manifest.hasLora() ? new LoraConfig(manifest.getLora().getRank(), manifest.getLora().getAlpha(),
            manifest.getLora().getDropout(), new java.util.HashSet<>(manifest.getLora().getTargetsList())) : null,
        readTensors(manifest.getAdaptersList(), buf, dir),
        manifest.hasCritic() ? new Critic(readTensors(manifest.getCritic().getWeightsList(), buf, dir),
            readTensors(manifest.getCritic().getOptimizerStateList(), buf, dir),
            manifest.getCritic().getOptimizerSteps()) : null);
  }

  private static Map<String, float[]> readTensors(Iterable<TensorEntry> entries, ByteBuffer buf, Path dir) throws IOException {
    Map<String, float[]> out = new LinkedHashMap<>();
    for (TensorEntry e : entries) {
      if (e.getOffset() < 0 || e.getLength() % 4 != 0 || e.getOffset() + e.getLength() > buf.capacity()) {
        throw new IOException(dir + ": tensor '" + e.getName() + "' lies outside " + TENSORS);
      }
      float[] data = new float[(int) (e.getLength() / 4)];
      buf.slice((int) e.getOffset(), (int) e.getLength()).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
      out.put(e.getName(), data);
    }
    return out;
  }

  /** The tokenizer as stored in a manifest (and sent to cluster nodes). */
  public static TokenizerProto toProto(Tokenizer t) {
    if (t instanceof CharTokenizer c) {
      return TokenizerProto.newBuilder().setKind("char").addAllSymbols(c.symbols()).build();
    }
    TokenizerProto.Builder b = TokenizerProto.newBuilder().setKind("files");
    ((FileTokenizer) t).files().forEach((name, bytes) -> b.putFiles(name, ByteString.copyFrom(bytes)));
    return b.build();
  }

  /** Rebuilds a tokenizer written by {@link #toProto(Tokenizer)}; {@code dir} names the source in errors. */
  public static Tokenizer tokenizerFromProto(TokenizerProto p, Path dir) throws IOException {
    switch (p.getKind()) {
      case "char":
        return CharTokenizer.fromSymbols(p.getSymbolsList());
      case "files": {
        Map<String, byte[]> files = new LinkedHashMap<>();
        p.getFilesMap().forEach((name, bytes) -> files.put(name, bytes.toByteArray()));
        try {
          return TokenizerFiles.fromFiles(files);
        } catch (IOException e) {
          throw new IOException(dir + ": stored tokenizer is unreadable: " + e.getMessage(), e);
        }
      }
      default:
        throw new IOException(dir + ": unknown tokenizer kind '" + p.getKind() + "'");
    }
  }

  /** The model shape as stored in a manifest (and sent to cluster nodes). */
  public static ModelConfigProto toProto(ModelConfig c) {
    RopeScaling r = c.ropeScaling();
    return ModelConfigProto.newBuilder()
        .setVocabSize(c.vocabSize()).setDim(c.dim()).setNLayers(c.nLayers()).setNHeads(c.nHeads())
        .setNKvHeads(c.nKvHeads()).setHiddenDim(c.hiddenDim()).setMaxSeqLen(c.maxSeqLen())
        .setRopeTheta(c.ropeTheta()).setNormEps(c.normEps()).setTiedEmbeddings(c.tiedEmbeddings())
        .setArchitecture(c.architecture().modelType()).setHeadDim(c.headDim()).setQkvBias(c.qkvBias())
        .setOutputBias(c.outputBias()).setSlidingWindow(c.slidingWindow())
        .setRopeScaling(RopeScalingProto.newBuilder().setType(r.type().name().toLowerCase()).setFactor(r.factor())
            .setLowFreqFactor(r.lowFreqFactor()).setHighFreqFactor(r.highFreqFactor())
            .setOriginalMaxPositions(r.originalMaxPositions()))
        .build();
  }

  /** Rebuilds a model shape written by {@link #toProto(ModelConfig)}. */
  public static ModelConfig fromProto(ModelConfigProto p) {
    RopeScalingProto r = p.getRopeScaling();
    RopeScaling scaling = switch (r.getType()) {
      case "", "none" -> RopeScaling.NONE;
      case "linear" -> RopeScaling.linear(r.getFactor());
      case "llama3" -> RopeScaling.llama3(r.getFactor(), r.getLowFreqFactor(), r.getHighFreqFactor(),
          r.getOriginalMaxPositions());
      default -> throw new IllegalArgumentException("unknown rope scaling '" + r.getType() + "'");
    };
    return new ModelConfig(p.getVocabSize(), p.getDim(), p.getNLayers(), p.getNHeads(), p.getNKvHeads(),
        p.getHiddenDim(), p.getMaxSeqLen(), p.getRopeTheta(), p.getNormEps(), p.getTiedEmbeddings(),
        ModelConfig.Architecture.fromModelType(p.getArchitecture().isEmpty() ? "llama" : p.getArchitecture()),
        p.getHeadDim() == 0 ? p.getDim() / p.getNHeads() : p.getHeadDim(), p.getQkvBias(), p.getOutputBias(),
        scaling, p.getSlidingWindow());
  }

  private static void fsyncDir(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException ignored) {
      // not every file system lets a directory be opened for fsync; the rename is still atomic
    }
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
