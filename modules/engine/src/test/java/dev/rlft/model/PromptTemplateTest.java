package dev.rlft.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rlft.tokenizer.BpeTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Prompt templates: BOS handling and the ChatML form with a real Qwen2.5 tokenizer. */
class PromptTemplateTest {

  @Test
  void encode_plainWithCharTokenizer_startsWithBosThenText() {
    CharTokenizer tok = CharTokenizer.ascii();
    int[] ids = PromptTemplate.PLAIN.encode(tok, "1+1?");
    assertEquals(tok.bosId(), ids[0]);
    assertEquals("1+1?\n", tok.decode(java.util.Arrays.copyOfRange(ids, 1, ids.length)));
  }

  @Test
  void encode_chatMlWithQwenTokenizer_noBosAndImStartIsOneToken() throws IOException {
    BpeTokenizer qwen = BpeTokenizer.load(Path.of("src/test/resources/tokenizers/qwen2.5"));
    assertTrue(qwen.bosId() < 0, "Qwen has no BOS token");
    int[] ids = PromptTemplate.CHATML.encode(qwen, "What is 2+3?");
    assertEquals(151644, ids[0]); // <|im_start|>
    String text = qwen.decode(ids);
    assertTrue(text.endsWith("<|im_start|>assistant\n"), text);
    assertTrue(text.contains("What is 2+3?"), text);
  }

  @Test
  void parse_unknownName_listsValidOnes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PromptTemplate.parse("alpaca"));
    assertTrue(e.getMessage().contains("plain") && e.getMessage().contains("chatml"), e.getMessage());
  }
}
