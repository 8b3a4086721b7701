package dev.rlft.tokenizer;

import dev.rlft.model.Tokenizer;
import java.util.Map;

/**
 * A tokenizer loaded from a model folder, with the bytes of the files it was read from (see
 * {@link TokenizerFiles}). Thread-safe; the native tokenizer behind a {@code tokenizer.json} lives
 * as long as this object.
 *
 * @param form which file form was used: {@code tokenizer.json}, {@code tokenizer.model} or {@code vocab.json+merges.txt}
 */
public record FileTokenizer(Tokenizer delegate, String form, Map<String, byte[]> files) implements Tokenizer {

  public FileTokenizer {
    files = Map.copyOf(files);
  }

  @Override
  public int[] encode(String text) {
    return delegate.encode(text);
  }

  @Override
  public String decode(int[] ids) {
    return delegate.decode(ids);
  }

  @Override
  public int vocabSize() {
    return delegate.vocabSize();
  }

  @Override
  public int padId() {
    return delegate.padId();
  }

  @Override
  public int bosId() {
    return delegate.bosId();
  }

  @Override
  public int eosId() {
    return delegate.eosId();
  }

  @Override
  public String tokenText(int id) {
    return delegate.tokenText(id);
  }

  @Override
  public String toString() {
    return "FileTokenizer[" + form + ", " + delegate + "]";
  }
}
