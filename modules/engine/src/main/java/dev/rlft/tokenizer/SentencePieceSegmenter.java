package dev.rlft.tokenizer;

import java.util.List;

/** Splits normalised text into pieces: the model-specific half of SentencePiece encoding. */
interface SentencePieceSegmenter {

  /** One piece of the segmentation: bytes {@code [begin, end)} of the normalised text. */
  record Segment(int begin, int end, int id) {}

  /**
   * The pieces covering {@code normalized} left to right, without gaps; a span that no piece
   * matches has the unknown id.
   */
  List<Segment> segment(byte[] normalized);
}
