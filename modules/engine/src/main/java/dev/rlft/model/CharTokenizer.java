package dev.rlft.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Character-level tokenizer: one id per Unicode code point of a fixed alphabet, after four special
 * tokens {@code <pad>=0, <bos>=1, <eos>=2, <unk>=3}. Code points outside the alphabet map to
 * {@code <unk>}, which decodes to U+FFFD.
 */
public final class CharTokenizer implements Tokenizer {

  public static final String PAD = "<pad>";
  public static final String BOS = "<bos>";
  public static final String EOS = "<eos>";
  public static final String UNK = "<unk>";
  private static final int SPECIALS = 4;

  private final List<String> symbols;
  private final Map<Integer, Integer> idOfCodePoint;

  private CharTokenizer(List<String> symbols) {
    this.symbols = List.copyOf(symbols);
    this.idOfCodePoint = new HashMap<>();
    for (int i = SPECIALS; i < symbols.size(); i++) {
      String s = symbols.get(i);
      if (s.codePointCount(0, s.length()) != 1) {
        throw new IllegalArgumentException("char tokenizer symbol " + i + " is not one character: " + s);
      }
      if (idOfCodePoint.put(s.codePointAt(0), i) != null) {
        throw new IllegalArgumentException("char tokenizer symbol repeated: '" + s + "'");
      }
    }
  }

  /** The default alphabet: newline plus printable ASCII. */
  public static CharTokenizer ascii() {
    StringBuilder alphabet = new StringBuilder("\n");
    for (char c = 32; c < 127; c++) {
      alphabet.append(c);
    }
    return ofAlphabet(alphabet.toString());
  }

  /** A tokenizer whose alphabet is the distinct code points of {@code alphabet}, in order. */
  public static CharTokenizer ofAlphabet(String alphabet) {
    List<String> symbols = new ArrayList<>(List.of(PAD, BOS, EOS, UNK));
    alphabet.codePoints().distinct().forEach(cp -> symbols.add(new String(Character.toChars(cp))));
    return new CharTokenizer(symbols);
  }

  /** Rebuilds a tokenizer from {@link #symbols()}, as stored in a checkpoint. */
  public static CharTokenizer fromSymbols(List<String> symbols) {
    if (symbols.size() < SPECIALS
        || !symbols.subList(0, SPECIALS).equals(List.of(PAD, BOS, EOS, UNK))) {
      throw new IllegalArgumentException("char tokenizer symbols must start with <pad>,<bos>,<eos>,<unk>");
    }
    return new CharTokenizer(symbols);
  }

  public List<String> symbols() {
    return symbols;
  }

  @Override
  public int[] encode(String text) {
    return text.codePoints().map(cp -> idOfCodePoint.getOrDefault(cp, 3)).toArray();
  }

  @Override
  public String decode(int[] ids) {
    StringBuilder sb = new StringBuilder();
    for (int id : ids) {
      if (id == 0 || id == 1 || id == 2) {
        continue;
      }
      sb.append(tokenText(id));
    }
    return sb.toString();
  }

  @Override
  public String tokenText(int id) {
    if (id < 0 || id >= symbols.size()) {
      throw new IllegalArgumentException("token id " + id + " outside vocabulary of " + symbols.size());
    }
    return id == 3 ? "\uFFFD" : id < SPECIALS ? "" : symbols.get(id);
  }

  @Override
  public int vocabSize() {
    return symbols.size();
  }

  @Override
  public int padId() {
    return 0;
  }

  @Override
  public int bosId() {
    return 1;
  }

  @Override
  public int eosId() {
    return 2;
  }
}
