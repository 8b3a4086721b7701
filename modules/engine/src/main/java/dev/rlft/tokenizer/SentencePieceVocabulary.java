package dev.rlft.tokenizer;

import dev.rlft.tokenizer.SentencePieceModelProto.Piece;
import dev.rlft.tokenizer.SentencePieceModelProto.PieceType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The pieces of a model and the lookups that {@code ModelInterface::InitializePieces} sets up:
 * normal, user-defined and unused pieces are the ones segmentation can produce; unknown, control
 * and byte pieces are reserved and found only by exact lookup. Validates the model as
 * SentencePiece does when it loads one.
 */
final class SentencePieceVocabulary {

  /** SentencePiece refuses pieces of this many UTF-8 bytes or more. */
  private static final int MAX_PIECE_BYTES = 8000;

  private final String[] pieces;
  private final float[] scores;
  private final PieceType[] types;
  private final int[] byteLengths;
  private final int[] byteOfId;
  private final int[] idOfByte;
  private final SentencePieceTrie segmentable;
  private final SentencePieceTrie reserved;
  private final SentencePieceTrie userDefined;
  private final int unkId;

  /**
   * @throws IllegalArgumentException when SentencePiece would refuse the model: no pieces, an
   *     empty or repeated piece, no or two unknown pieces, byte pieces without {@code
   *     byte_fallback}, or {@code byte_fallback} without all 256 byte pieces
   */
  SentencePieceVocabulary(List<Piece> protoPieces, boolean byteFallback) {
    int n = protoPieces.size();
    if (n == 0) {
      throw new IllegalArgumentException("the model has no pieces");
    }
    pieces = new String[n];
    scores = new float[n];
    types = new PieceType[n];
    byteLengths = new int[n];
    byteOfId = new int[n];
    Arrays.fill(byteOfId, -1);
    List<SentencePieceTrie.Entry> segmentableEntries = new ArrayList<>();
    List<SentencePieceTrie.Entry> reservedEntries = new ArrayList<>();
    List<SentencePieceTrie.Entry> userDefinedEntries = new ArrayList<>();
    int unk = -1;
    int[] byteIds = new int[256];
    Arrays.fill(byteIds, -1);
    for (int id = 0; id < n; id++) {
      Piece p = protoPieces.get(id);
      byte[] utf8 = p.piece().getBytes(StandardCharsets.UTF_8);
      if (utf8.length == 0) {
        throw new IllegalArgumentException("piece " + id + " is empty");
      }
      if (utf8.length >= MAX_PIECE_BYTES) {
        throw new IllegalArgumentException("piece " + id + " is too long: " + utf8.length);
      }
      if (p.piece().indexOf('\0') >= 0) {
        throw new IllegalArgumentException("piece " + id + " contains a NUL character");
      }
      pieces[id] = p.piece();
      scores[id] = p.score();
      types[id] = p.type();
      byteLengths[id] = utf8.length;
      boolean segment = switch (p.type()) {
        case NORMAL, USER_DEFINED, UNUSED -> true;
        case UNKNOWN, CONTROL, BYTE -> false;
      };
      (segment ? segmentableEntries : reservedEntries).add(new SentencePieceTrie.Entry(utf8, id));
      if (p.type() == PieceType.USER_DEFINED) {
        userDefinedEntries.add(new SentencePieceTrie.Entry(utf8, id));
      }
      if (p.type() == PieceType.UNKNOWN) {
        if (unk >= 0) {
          throw new IllegalArgumentException("two unknown pieces: ids " + unk + " and " + id);
        }
        unk = id;
      }
      if (p.type() == PieceType.BYTE) {
        if (!byteFallback) {
          throw new IllegalArgumentException(
              "byte piece " + p.piece() + " (id " + id + ") found although byte_fallback is off");
        }
        int b = pieceToByte(p.piece());
        if (b < 0) {
          throw new IllegalArgumentException(
              "invalid byte piece " + p.piece() + " (id " + id + ")");
        }
        byteOfId[id] = b;
        byteIds[b] = id;
      }
    }
    if (unk < 0) {
      throw new IllegalArgumentException("the model has no unknown piece");
    }
    unkId = unk;
    try {
      segmentable = SentencePieceTrie.build(segmentableEntries);
      reserved = SentencePieceTrie.build(reservedEntries);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("a piece is defined twice: " + e.getMessage(), e);
    }
    userDefined = SentencePieceTrie.build(userDefinedEntries);
    if (byteFallback) {
      for (int b = 0; b < 256; b++) {
        if (byteIds[b] < 0) {
          throw new IllegalArgumentException(
              "byte_fallback is on but byte piece " + bytePiece(b) + " is missing");
        }
      }
      idOfByte = byteIds;
    } else {
      idOfByte = null;
    }
  }

  int size() {
    return pieces.length;
  }

  String piece(int id) {
    return pieces[id];
  }

  float score(int id) {
    return scores[id];
  }

  PieceType type(int id) {
    return types[id];
  }

  /** Length of the piece in UTF-8 bytes. */
  int byteLength(int id) {
    return byteLengths[id];
  }

  int unkId() {
    return unkId;
  }

  boolean byteFallback() {
    return idOfByte != null;
  }

  /** The id of byte piece {@code <0xNN>}; only with byte fallback. */
  int idOfByte(int b) {
    return idOfByte[b & 0xFF];
  }

  /** The byte that a byte piece stands for, or -1 when {@code id} is not a byte piece. */
  int byteOf(int id) {
    return byteOfId[id];
  }

  /** Normal, user-defined and unused pieces: what segmentation may produce. */
  SentencePieceTrie segmentable() {
    return segmentable;
  }

  /** User-defined pieces, kept whole by the normaliser and BPE. */
  SentencePieceTrie userDefined() {
    return userDefined;
  }

  /** The id of the piece {@code s[begin, end)}, reserved pieces first, else unknown. */
  int pieceToId(byte[] s, int begin, int end) {
    int id = reserved.get(s, begin, end);
    if (id == SentencePieceTrie.NONE) {
      id = segmentable.get(s, begin, end);
    }
    return id == SentencePieceTrie.NONE ? unkId : id;
  }

  int pieceToId(String piece) {
    byte[] utf8 = piece.getBytes(StandardCharsets.UTF_8);
    return pieceToId(utf8, 0, utf8.length);
  }

  static String bytePiece(int b) {
    return String.format("<0x%02X>", b);
  }

  /** The byte that {@code <0xNN>} (upper-case hex, two digits) names, or -1. */
  static int pieceToByte(String piece) {
    if (piece.length() != 6 || !piece.startsWith("<0x") || piece.charAt(5) != '>') {
      return -1;
    }
    int hi = upperHexDigit(piece.charAt(3));
    int lo = upperHexDigit(piece.charAt(4));
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
  }

  private static int upperHexDigit(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
  }
}
