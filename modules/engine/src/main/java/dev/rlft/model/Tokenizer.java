package dev.rlft.model;

/** Maps text to token ids and back. Implementations are immutable and thread-safe. */
public interface Tokenizer {

  int[] encode(String text);

  String decode(int[] ids);

  int vocabSize();

  int padId();

  int bosId();

  int eosId();

  /** Text form of one token, for display and stop checks. */
  String tokenText(int id);
}
