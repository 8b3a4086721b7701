package dev.rlft.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rlft.model.CharTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finding a folder's tokenizer, carrying its files, and the char tokenizer as a Hugging Face fast tokenizer. */
class TokenizerFilesTest {

  private static final Path TOKENIZERS = Path.of("src/test/resources/tokenizers");

  @Test
  void charTokenizerJson_encodesAndDecodesLikeTheCharTokenizer_throughDjl(@TempDir Path tmp) throws IOException {
    CharTokenizer chars = CharTokenizer.ascii();
    TokenizerFiles.write(tmp, TokenizerFiles.forCharTokenizer(chars));
    FileTokenizer hf = TokenizerFiles.load(tmp);
    assertEquals("tokenizer.json", hf.form());
    String text = "Ann has 3 pens.\n\nShe buys 4 more: 3+4=7\n\n\\boxed{7} ~`|";
    assertArrayEquals(chars.encode(text), hf.encode(text));
    assertEquals(text, hf.decode(hf.encode(text)));
    assertEquals(chars.bosId(), hf.bosId());
    assertEquals(chars.eosId(), hf.eosId());
    assertEquals(chars.padId(), hf.padId());
    assertEquals(chars.vocabSize(), hf.vocabSize());
    assertEquals(chars.encode("é")[0], hf.encode("é")[0], "unknown characters map to <unk>");
  }

  @Test
  void load_picksTheFormPresent_andFromFilesRebuildsIt() throws IOException {
    FileTokenizer qwen = TokenizerFiles.load(TOKENIZERS.resolve("qwen2.5"));
    FileTokenizer again = TokenizerFiles.fromFiles(qwen.files());
    String text = "2つの数の和は15です。 The answer is \\boxed{15}.";
    assertArrayEquals(qwen.encode(text), again.encode(text));
    assertEquals(qwen.form(), again.form());
  }

  @Test
  void load_folderWithoutTokenizer_isAnErrorNamingIt(@TempDir Path tmp) {
    IOException e = assertThrows(IOException.class, () -> TokenizerFiles.load(tmp));
    assertTrue(e.getMessage().contains(tmp.toString()), e.getMessage());
    assertThrows(IOException.class, () -> TokenizerFiles.write(tmp, Map.of("../evil.json", new byte[0])));
  }

  @Test
  void sentencePieceFolder_loadsThroughTokenizerModel() throws IOException {
    Path stories = Path.of("src/test/resources/models/stories260K/hf");
    assertTrue(Files.isRegularFile(stories.resolve("tokenizer.model")));
    FileTokenizer t = TokenizerFiles.load(stories);
    assertEquals("tokenizer.model", t.form());
    assertEquals(512, t.vocabSize());
  }
}
