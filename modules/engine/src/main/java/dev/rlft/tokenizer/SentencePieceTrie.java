package dev.rlft.tokenizer;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;

/**
 * Immutable trie over byte strings, each key mapped to a non-negative int. It plays the part of
 * SentencePiece's Darts double-array tries: exact lookup, and walking a key one byte at a time so
 * that every stored prefix of the input is seen, shortest first.
 *
 * <p>Nodes are numbered breadth first and the children of a node are consecutive, sorted by
 * label, so a node is three ints and a byte; a child is found by binary search.
 */
final class SentencePieceTrie {

  /** Returned by {@link #child} when no key continues with the given byte. */
  static final int NONE = -1;

  static final int ROOT = 0;

  private final byte[] label;
  private final int[] firstChild;
  private final int[] childCount;
  private final int[] value;

  private SentencePieceTrie(byte[] label, int[] firstChild, int[] childCount, int[] value) {
    this.label = label;
    this.firstChild = firstChild;
    this.childCount = childCount;
    this.value = value;
  }

  /** A key and its value. */
  record Entry(byte[] key, int value) {
    Entry {
      if (key.length == 0) {
        throw new IllegalArgumentException("trie key must not be empty");
      }
      if (value < 0) {
        throw new IllegalArgumentException("trie value must be >= 0, got " + value);
      }
    }
  }

  /**
   * Builds the trie.
   *
   * @throws IllegalArgumentException when a key occurs twice
   */
  static SentencePieceTrie build(List<Entry> entries) {
    Entry[] sorted = entries.toArray(new Entry[0]);
    Arrays.sort(sorted, Comparator.comparing(Entry::key, Arrays::compareUnsigned));
    int capacity = 1;
    for (Entry e : sorted) {
      capacity += e.key().length;
    }
    byte[] label = new byte[capacity];
    int[] firstChild = new int[capacity];
    int[] childCount = new int[capacity];
    int[] value = new int[capacity];
    Arrays.fill(value, NONE);
    int nodes = 1;
    // Each task: {node, lo, hi, depth}; every key in sorted[lo, hi) starts with the node's path.
    Deque<int[]> tasks = new ArrayDeque<>();
    tasks.add(new int[] {ROOT, 0, sorted.length, 0});
    while (!tasks.isEmpty()) {
      int[] t = tasks.poll();
      int node = t[0];
      int lo = t[1];
      int hi = t[2];
      int depth = t[3];
      if (lo < hi && sorted[lo].key().length == depth) {
        value[node] = sorted[lo].value();
        lo++;
        if (lo < hi && sorted[lo].key().length == depth) {
          throw new IllegalArgumentException("duplicate trie key at value " + sorted[lo].value());
        }
      }
      firstChild[node] = nodes;
      int i = lo;
      while (i < hi) {
        byte b = sorted[i].key()[depth];
        int j = i + 1;
        while (j < hi && sorted[j].key()[depth] == b) {
          j++;
        }
        int child = nodes++;
        label[child] = b;
        tasks.add(new int[] {child, i, j, depth + 1});
        i = j;
      }
      childCount[node] = nodes - firstChild[node];
    }
    return new SentencePieceTrie(
        Arrays.copyOf(label, nodes),
        Arrays.copyOf(firstChild, nodes),
        Arrays.copyOf(childCount, nodes),
        Arrays.copyOf(value, nodes));
  }

  /** The node reached from {@code node} by byte {@code b}, or {@link #NONE}. */
  int child(int node, byte b) {
    int lo = firstChild[node];
    int hi = lo + childCount[node] - 1;
    int key = b & 0xFF;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int m = label[mid] & 0xFF;
      if (m < key) {
        lo = mid + 1;
      } else if (m > key) {
        hi = mid - 1;
      } else {
        return mid;
      }
    }
    return NONE;
  }

  /** The value of the key that ends at {@code node}, or {@link #NONE} when no key ends there. */
  int value(int node) {
    return value[node];
  }

  /** The value of {@code s[begin, end)}, or {@link #NONE}. */
  int get(byte[] s, int begin, int end) {
    int node = ROOT;
    for (int i = begin; i < end && node != NONE; i++) {
      node = child(node, s[i]);
    }
    return node == NONE ? NONE : value[node];
  }

  /**
   * Length of the longest key that is a prefix of {@code s[begin, end)}, or 0 when none is
   * ({@code PrefixMatcher::PrefixMatch}).
   */
  int longestPrefix(byte[] s, int begin, int end) {
    int node = ROOT;
    int longest = 0;
    for (int i = begin; i < end; i++) {
      node = child(node, s[i]);
      if (node == NONE) {
        break;
      }
      if (value[node] != NONE) {
        longest = i + 1 - begin;
      }
    }
    return longest;
  }

  boolean isEmpty() {
    return childCount[ROOT] == 0;
  }
}
