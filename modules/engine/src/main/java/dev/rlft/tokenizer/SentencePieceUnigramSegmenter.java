package dev.rlft.tokenizer;

import dev.rlft.tokenizer.SentencePieceModelProto.PieceType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * Unigram language-model segmentation: the Viterbi path that maximises the sum of piece scores
 * (log probabilities), as {@code unigram::Model::EncodeOptimized} in {@code unigram_model.cc}.
 *
 * <p>For each end position it keeps the best path ending there. Starting at every character
 * boundary it walks the piece trie over the following bytes; a piece ending at byte {@code e}
 * replaces the best path to {@code e} only when its total is strictly greater, so on ties the
 * earlier start, and then the shorter piece, wins. A character that starts no one-character piece
 * gets an unknown node scored {@code min(normal scores) - 10}. User-defined pieces score {@code
 * bytes * max(normal scores) - 0.1}, enough to win over any split. Unused pieces never match.
 *
 * <p>The arithmetic copies the C++ types exactly: a piece total is computed in double from the
 * float score and the float total so far, compared in double, and stored as float; the unknown
 * total is computed in float.
 */
final class SentencePieceUnigramSegmenter implements SentencePieceSegmenter {

  private static final float UNK_PENALTY = 10.0f;

  private final SentencePieceVocabulary vocab;
  private final float maxScore;
  private final float unkScore;

  SentencePieceUnigramSegmenter(SentencePieceVocabulary vocab) {
    this.vocab = vocab;
    // FLT_MAX and FLT_MIN (the smallest positive normal float), as in unigram::Model's ctor.
    float min = Float.MAX_VALUE;
    float max = Float.MIN_NORMAL;
    for (int id = 0; id < vocab.size(); id++) {
      if (vocab.type(id) == PieceType.NORMAL) {
        min = Math.min(min, vocab.score(id));
        max = Math.max(max, vocab.score(id));
      }
    }
    this.maxScore = max;
    this.unkScore = min - UNK_PENALTY;
  }

  @Override
  public List<Segment> segment(byte[] text) {
    int size = text.length;
    if (size == 0) {
      return List.of();
    }
    SentencePieceTrie trie = vocab.segmentable();
    float[] bestScore = new float[size + 1];
    int[] startsAt = new int[size + 1];
    int[] bestId = new int[size + 1];
    Arrays.fill(startsAt, -1);
    int start = 0;
    while (start < size) {
      float tillHere = bestScore[start];
      int charLen = Math.min(SentencePieceUtf8.oneCharLen(text[start]), size - start);
      boolean hasSingleCharPiece = false;
      int node = SentencePieceTrie.ROOT;
      for (int pos = start; pos < size; pos++) {
        node = trie.child(node, text[pos]);
        if (node == SentencePieceTrie.NONE) {
          break;
        }
        int id = trie.value(node);
        if (id == SentencePieceTrie.NONE || vocab.type(id) == PieceType.UNUSED) {
          continue;
        }
        int end = pos + 1;
        int length = end - start;
        double score = vocab.type(id) == PieceType.USER_DEFINED
            ? (double) (length * maxScore) - 0.1
            : vocab.score(id);
        double candidate = score + tillHere;
        if (startsAt[end] == -1 || candidate > bestScore[end]) {
          bestScore[end] = (float) candidate;
          startsAt[end] = start;
          bestId[end] = id;
        }
        if (length == charLen) {
          hasSingleCharPiece = true;
        }
      }
      if (!hasSingleCharPiece) {
        int end = start + charLen;
        float candidate = unkScore + tillHere;
        if (startsAt[end] == -1 || candidate > bestScore[end]) {
          bestScore[end] = candidate;
          startsAt[end] = start;
          bestId[end] = vocab.unkId();
        }
      }
      start += charLen;
    }
    List<Segment> out = new ArrayList<>();
    for (int end = size; end > 0; end = startsAt[end]) {
      out.add(new Segment(startsAt[end], end, bestId[end]));
    }
    Collections.reverse(out);
    return out;
  }
}
