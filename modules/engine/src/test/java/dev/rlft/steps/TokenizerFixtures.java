package dev.rlft.steps;

import dev.rlft.model.CharTokenizer;
import dev.rlft.model.Tokenizer;
import dev.rlft.tokenizer.BpeFamily;
import dev.rlft.tokenizer.BpeTokenizer;
import dev.rlft.tokenizer.SentencePieceTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Real tokenizers from the test resources, each loaded once per JVM. */
final class TokenizerFixtures {

  private static final Path RESOURCES = Path.of("src/test/resources");
  private static final Map<String, Tokenizer> LOADED = new ConcurrentHashMap<>();

  private TokenizerFixtures() {}

  /** Qwen2.5 byte-level BPE (151k vocabulary). */
  static Tokenizer qwen() {
    return LOADED.computeIfAbsent("qwen", k -> bpe("tokenizers/qwen2.5"));
  }

  /** GPT-2 byte-level BPE. */
  static Tokenizer gpt2() {
    return LOADED.computeIfAbsent("gpt2", k -> {
      try {
        return BpeTokenizer.load(RESOURCES.resolve("tokenizers/gpt2"), BpeFamily.GPT2);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  /** llama2.c's stories260K SentencePiece BPE (512 pieces, byte fallback). */
  static Tokenizer stories() {
    return LOADED.computeIfAbsent("stories", k -> sentencePiece("models/stories260K/hf/tokenizer.model"));
  }

  /** LLM-jp's SentencePiece Unigram model with Japanese pieces. */
  static Tokenizer llmJp() {
    return LOADED.computeIfAbsent(
        "llmjp", k -> sentencePiece("tokenizers/sentencepiece/llm-jp/llm-jp-tokenizer-100k.ver3.1.model"));
  }

  /** Newline plus printable ASCII, one token per character; anything else is {@code <unk>}. */
  static Tokenizer chars() {
    return LOADED.computeIfAbsent("chars", k -> CharTokenizer.ascii());
  }

  private static Tokenizer bpe(String folder) {
    try {
      return BpeTokenizer.load(RESOURCES.resolve(folder));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Tokenizer sentencePiece(String file) {
    try {
      return SentencePieceTokenizer.load(RESOURCES.resolve(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
