package dev.rlft.tokenizer;

import dev.rlft.model.Tokenizer;
import dev.rlft.tokenizer.SentencePieceModelProto.PieceType;
import dev.rlft.tokenizer.SentencePieceSegmenter.Segment;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A SentencePiece tokenizer read from a {@code .model} file, encoding and decoding as the
 * SentencePiece library's {@code SentencePieceProcessor} does, for BPE and Unigram models.
 *
 * <p>Encoding: normalise ({@link SentencePieceNormalizer}: precompiled character map, whitespace
 * rules, dummy prefix, spaces as U+2581), segment ({@link SentencePieceBpeSegmenter} or {@link
 * SentencePieceUnigramSegmenter}), then spell each unknown piece as the byte pieces {@code
 * <0xNN>} of its UTF-8 bytes when the model has byte fallback, or else merge each run of unknown
 * pieces into one unknown id. {@link #encode} adds no BOS or EOS.
 *
 * <p>Decoding: control pieces vanish, the unknown piece shows as the model's {@code unk_surface}
 * (by default U+2047 between two spaces), U+2581 becomes a space, runs of byte pieces are
 * reassembled as UTF-8 with each malformed byte shown as U+FFFD, the leading U+2581 of the first
 * visible piece is dropped when the model adds a dummy prefix or removes extra whitespace, and the
 * model's denormaliser, if it has one, is applied last.
 *
 * <p>Checked against the SentencePiece library (0.1.97) on the LLM-jp and stories260K models and
 * on small trained models covering NFKC and custom character maps, user-defined, control and
 * unused pieces, unknown runs without byte fallback and whitespace as a suffix. Not supported:
 * WORD and CHAR models (refused at load), sampling (subword regularisation, BPE dropout) and
 * n-best. Java strings are UTF-16: an unpaired surrogate in the input is encoded as U+FFFD.
 * Instances are immutable and thread-safe.
 */
public final class SentencePieceTokenizer implements Tokenizer {

  private static final String SPACE_SYMBOL = "\u2581";

  /** The segmentation algorithm of a model. */
  public enum Algorithm {
    UNIGRAM,
    BPE
  }

  /**
   * Ids of the special pieces as {@code SentencePieceProcessor} reports them: the piece named by
   * the trainer spec ({@code <unk>}, {@code <s>}, {@code </s>}, {@code <pad>} by default) if it
   * exists with the right type (unknown for unk, control for the others), else -1.
   */
  public record SpecialIds(int unk, int bos, int eos, int pad) {}

  private final String source;
  private final Algorithm algorithm;
  private final SentencePieceVocabulary vocab;
  private final SentencePieceSegmenter segmenter;
  private final SentencePieceNormalizer normalizer;
  private final SentencePieceNormalizer denormalizer;
  private final SpecialIds specialIds;
  private final String unkSurface;
  private final boolean stripsLeadingSpace;
  private final boolean removesExtraWhitespaces;

  private SentencePieceTokenizer(String source, SentencePieceModelProto proto) {
    this.source = source;
    this.algorithm = switch (proto.trainerSpec().modelType()) {
      case UNIGRAM -> Algorithm.UNIGRAM;
      case BPE -> Algorithm.BPE;
      case WORD, CHAR -> throw new IllegalArgumentException("model_type "
          + proto.trainerSpec().modelType() + " is not supported (only UNIGRAM and BPE are)");
    };
    this.vocab = new SentencePieceVocabulary(proto.pieces(), proto.trainerSpec().byteFallback());
    this.segmenter = algorithm == Algorithm.UNIGRAM
        ? new SentencePieceUnigramSegmenter(vocab)
        : new SentencePieceBpeSegmenter(vocab);
    this.normalizer = new SentencePieceNormalizer(
        proto.normalizerSpec(), proto.trainerSpec().treatWhitespaceAsSuffix(), vocab.userDefined());
    SentencePieceModelProto.NormalizerSpec denorm = proto.denormalizerSpec();
    this.denormalizer = denorm.present() && denorm.precompiledCharsmap().length > 0
        ? new SentencePieceNormalizer(denorm, false, null)
        : null;
    SentencePieceModelProto.TrainerSpec trainer = proto.trainerSpec();
    this.specialIds = new SpecialIds(
        idIfType(trainer.unkPiece(), PieceType.UNKNOWN),
        idIfType(trainer.bosPiece(), PieceType.CONTROL),
        idIfType(trainer.eosPiece(), PieceType.CONTROL),
        idIfType(trainer.padPiece(), PieceType.CONTROL));
    this.unkSurface = trainer.unkSurface();
    this.removesExtraWhitespaces = proto.normalizerSpec().removeExtraWhitespaces();
    this.stripsLeadingSpace = proto.normalizerSpec().addDummyPrefix() || removesExtraWhitespaces;
  }

  /**
   * Reads a SentencePiece model ({@code ModelProto}, as written by {@code spm_train}).
   *
   * @throws IOException when the file cannot be read, is not a SentencePiece model, or is one that
   *     SentencePiece itself would refuse or this class does not support; the message names the
   *     file
   */
  public static SentencePieceTokenizer load(Path modelFile) throws IOException {
    return parse(Files.readAllBytes(modelFile), modelFile.toString());
  }

  /** Parses serialized model bytes; {@code source} names them in error messages. */
  static SentencePieceTokenizer parse(byte[] modelProto, String source) throws IOException {
    SentencePieceModelProto proto;
    try {
      proto = SentencePieceModelProto.parse(modelProto);
    } catch (IOException e) {
      throw new IOException(source + ": not a SentencePiece model (" + e.getMessage() + ")", e);
    }
    try {
      return new SentencePieceTokenizer(source, proto);
    } catch (IllegalArgumentException e) {
      throw new IOException(
          source + ": not a usable SentencePiece model (" + e.getMessage() + ")", e);
    }
  }

  /** Token ids of {@code text}, without BOS or EOS. */
  @Override
  public int[] encode(String text) {
    Objects.requireNonNull(text, "text");
    byte[] normalized = normalizer.normalize(SentencePieceUtf8.encode(text));
    List<Segment> segments = segmenter.segment(normalized);
    // At most one id per normalised byte: every segment is non-empty.
    int[] ids = new int[normalized.length];
    int n = 0;
    // As PopulateSentencePieceText: with byte fallback an unknown piece becomes its bytes;
    // without, a run of unknown pieces becomes a single unknown id.
    boolean prevUnknown = false;
    for (Segment s : segments) {
      boolean unknown = s.id() == vocab.unkId();
      if (unknown && vocab.byteFallback()) {
        for (int i = s.begin(); i < s.end(); i++) {
          ids[n++] = vocab.idOfByte(normalized[i]);
        }
      } else if (!(unknown && prevUnknown)) {
        ids[n++] = s.id();
      }
      prevUnknown = unknown;
    }
    return Arrays.copyOf(ids, n);
  }

  /**
   * The text of {@code ids}; BOS, EOS and other control ids may be included and decode to
   * nothing.
   *
   * @throws IllegalArgumentException when an id is outside the vocabulary
   */
  @Override
  public String decode(int[] ids) {
    for (int id : ids) {
      checkId(id);
    }
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    int byteRunStart = 0;
    boolean expectLeadingSpace = true;
    boolean leadingSpaceSeen = false;
    for (int i = 0; i < ids.length; i++) {
      if (vocab.byteOf(ids[i]) >= 0) {
        continue;
      }
      appendBytePieces(ids, byteRunStart, i, text);
      byteRunStart = i + 1;
      // The dummy-prefix space may only come off the first piece that shows anything.
      if (leadingSpaceSeen || text.size() > 0) {
        expectLeadingSpace = false;
      }
      int id = ids[i];
      String surface;
      leadingSpaceSeen = false;
      switch (vocab.type(id)) {
        case CONTROL -> surface = "";
        case UNKNOWN -> surface = unkSurface;
        default -> {
          String piece = vocab.piece(id);
          if (expectLeadingSpace && stripsLeadingSpace && piece.startsWith(SPACE_SYMBOL)) {
            piece = piece.substring(SPACE_SYMBOL.length());
            // With remove_extra_whitespaces every leading space goes, not only the first.
            leadingSpaceSeen = !removesExtraWhitespaces;
          }
          surface = piece.replace(SPACE_SYMBOL, " ");
        }
      }
      text.writeBytes(surface.getBytes(StandardCharsets.UTF_8));
    }
    appendBytePieces(ids, byteRunStart, ids.length, text);
    byte[] out = text.toByteArray();
    if (denormalizer != null) {
      out = denormalizer.normalize(out);
    }
    return new String(out, StandardCharsets.UTF_8);
  }

  /** Appends the bytes of byte pieces {@code ids[from, to)}, a malformed byte as U+FFFD. */
  private void appendBytePieces(int[] ids, int from, int to, ByteArrayOutputStream text) {
    if (from >= to) {
      return;
    }
    byte[] bytes = new byte[to - from];
    for (int i = from; i < to; i++) {
      bytes[i - from] = (byte) vocab.byteOf(ids[i]);
    }
    int pos = 0;
    while (pos < bytes.length) {
      int len = SentencePieceUtf8.validCharLen(bytes, pos, bytes.length);
      if (len < 0) {
        text.writeBytes(SentencePieceUtf8.REPLACEMENT);
        pos++;
      } else {
        text.write(bytes, pos, len);
        pos += len;
      }
    }
  }

  /**
   * Text of one token as it shows inside decoded text: U+2581 as a space, {@code ""} for control
   * pieces, the {@code unk_surface} for the unknown piece, an ASCII byte piece as its character
   * and any other byte piece as U+FFFD (one byte of a multi-byte character is not text; decode
   * the whole sequence for that).
   *
   * @throws IllegalArgumentException when {@code id} is outside the vocabulary
   */
  @Override
  public String tokenText(int id) {
    checkId(id);
    int b = vocab.byteOf(id);
    if (b >= 0) {
      return b < 0x80 ? String.valueOf((char) b) : "\uFFFD";
    }
    return switch (vocab.type(id)) {
      case CONTROL -> "";
      case UNKNOWN -> unkSurface;
      default -> vocab.piece(id).replace(SPACE_SYMBOL, " ");
    };
  }

  /**
   * The piece string of {@code id} as stored in the model (with U+2581 for spaces, {@code
   * <0xNN>} for byte pieces).
   *
   * @throws IllegalArgumentException when {@code id} is outside the vocabulary
   */
  public String piece(int id) {
    checkId(id);
    return vocab.piece(id);
  }

  @Override
  public int vocabSize() {
    return vocab.size();
  }

  /** The special ids with SentencePiece's meaning, -1 for a piece the model does not have. */
  public SpecialIds specialIds() {
    return specialIds;
  }

  /** The BOS id, or -1 when the model has no BOS piece. */
  @Override
  public int bosId() {
    return specialIds.bos();
  }

  /** The EOS id, or -1 when the model has no EOS piece. */
  @Override
  public int eosId() {
    return specialIds.eos();
  }

  /**
   * The id to pad batches with: the model's pad piece if it has one, else the unknown piece
   * (which {@link #encode} never produces when the model has byte fallback). Many models, Llama's
   * and LLM-jp-3's among them, have no pad piece, and a batch needs a valid id in its padded
   * positions; they are masked out anyway. {@link #specialIds()} tells whether a pad piece
   * exists.
   */
  @Override
  public int padId() {
    return specialIds.pad() >= 0 ? specialIds.pad() : vocab.unkId();
  }

  /** Whether the model segments by BPE merges or by Unigram Viterbi. */
  public Algorithm algorithm() {
    return algorithm;
  }

  @Override
  public String toString() {
    return "SentencePieceTokenizer[" + algorithm + ", " + vocab.size() + " pieces"
        + (vocab.byteFallback() ? ", byte fallback" : "") + ", " + source + "]";
  }

  private int idIfType(String piece, PieceType type) {
    int id = vocab.pieceToId(piece);
    return vocab.type(id) == type ? id : -1;
  }

  private void checkId(int id) {
    if (id < 0 || id >= vocab.size()) {
      throw new IllegalArgumentException(
          "token id " + id + " outside vocabulary of " + vocab.size() + " (" + source + ")");
    }
  }
}
