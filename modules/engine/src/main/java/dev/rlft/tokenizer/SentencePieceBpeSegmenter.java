package dev.rlft.tokenizer;

import dev.rlft.tokenizer.SentencePieceModelProto.PieceType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * SentencePiece BPE segmentation, as {@code bpe::Model::SampleEncode} with no dropout in {@code
 * bpe_model.cc}.
 *
 * <p>The text starts as single characters (a user-defined piece is one frozen symbol). Every
 * adjacent pair whose concatenation is a piece goes into a queue ordered by that piece's score,
 * highest first, ties to the leftmost pair. The best pair is merged, stale queue entries (a side
 * already merged away or grown) are skipped, and the pairs the merge creates with its neighbours
 * are queued, until the queue is empty. A resulting symbol that is an unused piece is split back
 * into the two symbols it was made from; a symbol that is no piece at all gets the unknown id.
 */
final class SentencePieceBpeSegmenter implements SentencePieceSegmenter {

  private final SentencePieceVocabulary vocab;

  SentencePieceBpeSegmenter(SentencePieceVocabulary vocab) {
    this.vocab = vocab;
  }

  /** A candidate merge of symbols {@code left} and {@code right} into a piece of {@code size}. */
  private record Pair(int left, int right, float score, int size) {}

  @Override
  public List<Segment> segment(byte[] text) {
    int n = text.length;
    if (n == 0) {
      return List.of();
    }
    SentencePieceTrie userDefined = vocab.userDefined();
    int[] begin = new int[n];
    int[] length = new int[n];
    int[] prev = new int[n];
    int[] next = new int[n];
    boolean[] frozen = new boolean[n];
    int count = 0;
    for (int pos = 0; pos < n; count++) {
      int len = userDefined.isEmpty() ? 0 : userDefined.longestPrefix(text, pos, n);
      frozen[count] = len > 0;
      if (len == 0) {
        len = Math.min(SentencePieceUtf8.oneCharLen(text[pos]), n - pos);
      }
      begin[count] = pos;
      length[count] = len;
      prev[count] = count - 1;
      pos += len;
      next[count] = pos == n ? -1 : count + 1;
    }
    // Primitive comparisons, not Float.compare: the C++ comparator treats -0.0 and 0.0 as equal.
    PriorityQueue<Pair> agenda = new PriorityQueue<>((a, b) ->
        a.score() > b.score() ? -1
            : a.score() < b.score() ? 1
            : Integer.compare(a.left(), b.left()));
    // Unused merged piece -> the two symbols it was made from, for resegmentation.
    Map<String, String[]> reverseMerges = new HashMap<>();
    Merger merger = new Merger(text, begin, length, frozen, agenda, reverseMerges);
    for (int i = 1; i < count; i++) {
      merger.maybeAdd(i - 1, i);
    }
    while (!agenda.isEmpty()) {
      Pair top = agenda.poll();
      int l = top.left();
      int r = top.right();
      if (length[l] == 0 || length[r] == 0 || length[l] + length[r] != top.size()) {
        continue;
      }
      length[l] += length[r];
      next[l] = next[r];
      if (next[r] >= 0) {
        prev[next[r]] = l;
      }
      length[r] = 0;
      merger.maybeAdd(prev[l], l);
      merger.maybeAdd(l, next[l]);
    }
    List<Segment> out = new ArrayList<>();
    for (int i = 0; i != -1; i = next[i]) {
      resegment(text, begin[i], begin[i] + length[i], reverseMerges, out);
    }
    return out;
  }

  private void resegment(
      byte[] text, int from, int to, Map<String, String[]> reverseMerges, List<Segment> out) {
    int id = vocab.pieceToId(text, from, to);
    if (vocab.type(id) != PieceType.UNUSED) {
      out.add(new Segment(from, to, id));
      return;
    }
    String[] halves = reverseMerges.get(new String(text, from, to - from, StandardCharsets.UTF_8));
    if (halves == null) {
      out.add(new Segment(from, to, id));
      return;
    }
    int split = from + halves[0].getBytes(StandardCharsets.UTF_8).length;
    resegment(text, from, split, reverseMerges, out);
    resegment(text, split, to, reverseMerges, out);
  }

  /** Queues the merge of two adjacent symbols when their concatenation is a piece. */
  private final class Merger {
    private final byte[] text;
    private final int[] begin;
    private final int[] length;
    private final boolean[] frozen;
    private final PriorityQueue<Pair> agenda;
    private final Map<String, String[]> reverseMerges;

    Merger(byte[] text, int[] begin, int[] length, boolean[] frozen, PriorityQueue<Pair> agenda,
        Map<String, String[]> reverseMerges) {
      this.text = text;
      this.begin = begin;
      this.length = length;
      this.frozen = frozen;
      this.agenda = agenda;
      this.reverseMerges = reverseMerges;
    }

    void maybeAdd(int left, int right) {
      if (left == -1 || right == -1 || frozen[left] || frozen[right]) {
        return;
      }
      int from = begin[left];
      int size = length[left] + length[right];
      int id = vocab.segmentable().get(text, from, from + size);
      if (id == SentencePieceTrie.NONE) {
        return;
      }
      agenda.add(new Pair(left, right, vocab.score(id), size));
      if (vocab.type(id) == PieceType.UNUSED) {
        reverseMerges.put(
            new String(text, from, size, StandardCharsets.UTF_8),
            new String[] {
              new String(text, from, length[left], StandardCharsets.UTF_8),
              new String(text, begin[right], length[right], StandardCharsets.UTF_8)
            });
      }
    }
  }
}
