package dev.rlft.tokenizer;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The parts of a SentencePiece {@code ModelProto} ({@code sentencepiece_model.proto}, proto2)
 * that encoding and decoding use, read straight from the wire format. Fields not listed here are
 * skipped; an absent field takes the proto's default, and an enum value this reader does not
 * know is treated as absent, as proto2 does.
 */
record SentencePieceModelProto(
    List<Piece> pieces,
    TrainerSpec trainerSpec,
    NormalizerSpec normalizerSpec,
    NormalizerSpec denormalizerSpec) {

  SentencePieceModelProto {
    pieces = List.copyOf(pieces);
  }

  /** {@code ModelProto.SentencePiece.Type}. */
  enum PieceType {
    NORMAL(1),
    UNKNOWN(2),
    CONTROL(3),
    USER_DEFINED(4),
    UNUSED(5),
    BYTE(6);

    final int number;

    PieceType(int number) {
      this.number = number;
    }

    /** The type with wire number {@code n}, or {@link #NORMAL} (the default) for any other. */
    static PieceType of(int n) {
      for (PieceType t : values()) {
        if (t.number == n) {
          return t;
        }
      }
      return NORMAL;
    }
  }

  /** {@code TrainerSpec.ModelType}. */
  enum ModelType {
    UNIGRAM(1),
    BPE(2),
    WORD(3),
    CHAR(4);

    final int number;

    ModelType(int number) {
      this.number = number;
    }

    static ModelType of(int n) {
      for (ModelType t : values()) {
        if (t.number == n) {
          return t;
        }
      }
      return UNIGRAM;
    }
  }

  /** One vocabulary entry; its id is its index. */
  record Piece(String piece, float score, PieceType type) {}

  /** The {@code TrainerSpec} fields that matter after training. */
  record TrainerSpec(
      ModelType modelType,
      boolean byteFallback,
      boolean treatWhitespaceAsSuffix,
      String unkPiece,
      String bosPiece,
      String eosPiece,
      String padPiece,
      String unkSurface) {

    static final TrainerSpec DEFAULT =
        new TrainerSpec(ModelType.UNIGRAM, false, false, "<unk>", "<s>", "</s>", "<pad>",
            " \u2047 ");

    /** An empty special-piece name means the default name, as {@code ModelInterface} reads it. */
    TrainerSpec {
      unkPiece = unkPiece.isEmpty() ? "<unk>" : unkPiece;
      bosPiece = bosPiece.isEmpty() ? "<s>" : bosPiece;
      eosPiece = eosPiece.isEmpty() ? "</s>" : eosPiece;
      padPiece = padPiece.isEmpty() ? "<pad>" : padPiece;
    }
  }

  /**
   * {@code NormalizerSpec}; {@code precompiledCharsmap} is empty for the identity normaliser.
   * {@code present} tells an absent spec (as the denormaliser usually is) from a default one.
   */
  record NormalizerSpec(
      boolean present,
      byte[] precompiledCharsmap,
      boolean addDummyPrefix,
      boolean removeExtraWhitespaces,
      boolean escapeWhitespaces) {

    static final NormalizerSpec ABSENT =
        new NormalizerSpec(false, new byte[0], true, true, true);
  }

  // Field numbers from sentencepiece_model.proto.
  private static final int MODEL_PIECES = 1;
  private static final int MODEL_TRAINER_SPEC = 2;
  private static final int MODEL_NORMALIZER_SPEC = 3;
  private static final int MODEL_DENORMALIZER_SPEC = 5;
  private static final int PIECE_PIECE = 1;
  private static final int PIECE_SCORE = 2;
  private static final int PIECE_TYPE = 3;
  private static final int TRAINER_MODEL_TYPE = 3;
  private static final int TRAINER_TREAT_WHITESPACE_AS_SUFFIX = 24;
  private static final int TRAINER_BYTE_FALLBACK = 35;
  private static final int TRAINER_UNK_SURFACE = 44;
  private static final int TRAINER_UNK_PIECE = 45;
  private static final int TRAINER_BOS_PIECE = 46;
  private static final int TRAINER_EOS_PIECE = 47;
  private static final int TRAINER_PAD_PIECE = 48;
  private static final int NORMALIZER_PRECOMPILED_CHARSMAP = 2;
  private static final int NORMALIZER_ADD_DUMMY_PREFIX = 3;
  private static final int NORMALIZER_REMOVE_EXTRA_WHITESPACES = 4;
  private static final int NORMALIZER_ESCAPE_WHITESPACES = 5;

  /**
   * Parses a serialized {@code ModelProto}.
   *
   * @throws InvalidProtocolBufferException when the bytes are not a well-formed protobuf message
   *     of this shape (truncated, bad wire type for a known field, a piece that is not UTF-8)
   */
  static SentencePieceModelProto parse(byte[] bytes) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(bytes);
    List<Piece> pieces = new ArrayList<>();
    TrainerSpec trainer = TrainerSpec.DEFAULT;
    NormalizerSpec normalizer = NormalizerSpec.ABSENT;
    NormalizerSpec denormalizer = NormalizerSpec.ABSENT;
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      switch (tag) {
        case (MODEL_PIECES << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> {
          int limit = in.pushLimit(in.readRawVarint32());
          pieces.add(readPiece(in));
          in.popLimit(limit);
        }
        case (MODEL_TRAINER_SPEC << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> {
          int limit = in.pushLimit(in.readRawVarint32());
          trainer = readTrainerSpec(in);
          in.popLimit(limit);
        }
        case (MODEL_NORMALIZER_SPEC << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> {
          int limit = in.pushLimit(in.readRawVarint32());
          normalizer = readNormalizerSpec(in);
          in.popLimit(limit);
        }
        case (MODEL_DENORMALIZER_SPEC << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> {
          int limit = in.pushLimit(in.readRawVarint32());
          denormalizer = readNormalizerSpec(in);
          in.popLimit(limit);
        }
        default -> skip(in, tag);
      }
    }
    return new SentencePieceModelProto(pieces, trainer, normalizer, denormalizer);
  }

  private static Piece readPiece(CodedInputStream in) throws IOException {
    String piece = "";
    float score = 0f;
    PieceType type = PieceType.NORMAL;
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      switch (tag) {
        case (PIECE_PIECE << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED ->
            piece = in.readStringRequireUtf8();
        case (PIECE_SCORE << 3) | WireFormat.WIRETYPE_FIXED32 -> score = in.readFloat();
        case (PIECE_TYPE << 3) | WireFormat.WIRETYPE_VARINT -> type = PieceType.of(in.readEnum());
        default -> skip(in, tag);
      }
    }
    return new Piece(piece, score, type);
  }

  private static TrainerSpec readTrainerSpec(CodedInputStream in) throws IOException {
    TrainerSpec d = TrainerSpec.DEFAULT;
    ModelType modelType = d.modelType();
    boolean byteFallback = d.byteFallback();
    boolean suffix = d.treatWhitespaceAsSuffix();
    String unk = d.unkPiece();
    String bos = d.bosPiece();
    String eos = d.eosPiece();
    String pad = d.padPiece();
    String unkSurface = d.unkSurface();
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      switch (tag) {
        case (TRAINER_MODEL_TYPE << 3) | WireFormat.WIRETYPE_VARINT ->
            modelType = ModelType.of(in.readEnum());
        case (TRAINER_BYTE_FALLBACK << 3) | WireFormat.WIRETYPE_VARINT ->
            byteFallback = in.readBool();
        case (TRAINER_TREAT_WHITESPACE_AS_SUFFIX << 3) | WireFormat.WIRETYPE_VARINT ->
            suffix = in.readBool();
        case (TRAINER_UNK_SURFACE << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED ->
            unkSurface = in.readStringRequireUtf8();
        case (TRAINER_UNK_PIECE << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED ->
            unk = in.readStringRequireUtf8();
        case (TRAINER_BOS_PIECE << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED ->
            bos = in.readStringRequireUtf8();
        case (TRAINER_EOS_PIECE << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED ->
            eos = in.readStringRequireUtf8();
        case (TRAINER_PAD_PIECE << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED ->
            pad = in.readStringRequireUtf8();
        default -> skip(in, tag);
      }
    }
    return new TrainerSpec(modelType, byteFallback, suffix, unk, bos, eos, pad, unkSurface);
  }

  private static NormalizerSpec readNormalizerSpec(CodedInputStream in) throws IOException {
    NormalizerSpec d = NormalizerSpec.ABSENT;
    byte[] charsmap = d.precompiledCharsmap();
    boolean dummyPrefix = d.addDummyPrefix();
    boolean removeExtra = d.removeExtraWhitespaces();
    boolean escape = d.escapeWhitespaces();
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      switch (tag) {
        case (NORMALIZER_PRECOMPILED_CHARSMAP << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED ->
            charsmap = in.readByteArray();
        case (NORMALIZER_ADD_DUMMY_PREFIX << 3) | WireFormat.WIRETYPE_VARINT ->
            dummyPrefix = in.readBool();
        case (NORMALIZER_REMOVE_EXTRA_WHITESPACES << 3) | WireFormat.WIRETYPE_VARINT ->
            removeExtra = in.readBool();
        case (NORMALIZER_ESCAPE_WHITESPACES << 3) | WireFormat.WIRETYPE_VARINT ->
            escape = in.readBool();
        default -> skip(in, tag);
      }
    }
    return new NormalizerSpec(true, charsmap, dummyPrefix, removeExtra, escape);
  }

  private static void skip(CodedInputStream in, int tag) throws IOException {
    // Wire types 3 and 4 (groups) never occur in this proto; skipField handles them anyway.
    if (!in.skipField(tag)) {
      throw new InvalidProtocolBufferException("unexpected end-group tag " + tag);
    }
  }
}
