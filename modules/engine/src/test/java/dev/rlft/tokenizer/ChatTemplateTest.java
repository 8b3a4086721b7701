package dev.rlft.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rlft.model.PromptTemplate;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ChatTemplateTest {

  static BpeTokenizer qwen;

  @BeforeAll
  static void load() throws IOException {
    qwen = BpeTokenizer.load(BpeFixtures.folder("qwen2.5"));
  }

  @Test
  void render_chatMlProblem_qwenDefaultSystemThenUserThenGenerationPrompt() {
    assertEquals(
        "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
            + "<|im_start|>user\nWhat is 2+3?<|im_end|>\n"
            + "<|im_start|>assistant\n",
        ChatTemplate.chatMl().render("What is 2+3?"));
  }

  @Test
  void render_chatMlCustomSystemPrompt_replacesTheDefault() {
    ChatTemplate t = ChatTemplate.chatMl("Please reason step by step, and put your final answer within \\boxed{}.");
    assertEquals(
        "<|im_start|>system\nPlease reason step by step, and put your final answer within \\boxed{}.<|im_end|>\n"
            + "<|im_start|>user\n1+1?<|im_end|>\n<|im_start|>assistant\n",
        t.render("1+1?"));
  }

  @Test
  void render_conversationOpeningWithSystem_usesItAndAddsNoDefault() {
    List<ChatMessage> chat = List.of(
        ChatMessage.system("Be brief."), ChatMessage.user("2+2?"), ChatMessage.assistant("4"), ChatMessage.user("3+3?"));
    assertEquals(
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n"
            + "<|im_start|>assistant\n4<|im_end|>\n<|im_start|>user\n3+3?<|im_end|>\n",
        ChatTemplate.chatMl().render(chat, false));
  }

  @Test
  void defaultSystemPrompt_isTheOneInQwenChatTemplate() {
    String template = BpeFixtures.json(BpeFixtures.folder("qwen2.5").resolve("tokenizer_config.json")).get("chat_template").asText();
    assertTrue(template.contains(
        "{{- '<|im_start|>system\\n" + ChatTemplate.QWEN_DEFAULT_SYSTEM_PROMPT + "<|im_end|>\\n' }}"));
    assertTrue(template.contains("{{- '<|im_start|>assistant\\n' }}"));
    assertTrue(template.contains("{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}"));
  }

  @Test
  void render_plainProblem_sameAsPromptTemplatePlain() {
    assertEquals(PromptTemplate.PLAIN.render("What is 2+3?"), ChatTemplate.plain().render("What is 2+3?"));
    assertEquals("Q\nA\n", ChatTemplate.plain().render(List.of(ChatMessage.user("Q"), ChatMessage.assistant("A")), true));
  }

  @Test
  void encode_chatMlWithQwen_markersAreSingleSpecialTokens() {
    String prompt = ChatTemplate.chatMl().render("What is 2+3?");
    int[] ids = qwen.encode(prompt);
    assertEquals(151644, ids[0]);
    assertEquals(3, Arrays.stream(ids).filter(id -> id == 151644).count(), "one <|im_start|> per turn");
    assertEquals(2, Arrays.stream(ids).filter(id -> id == 151645).count(), "one <|im_end|> per closed turn");
    assertArrayEquals(new int[] {151644, 77091, 198}, Arrays.copyOfRange(ids, ids.length - 3, ids.length),
        "ends with <|im_start|> assistant \\n");
    assertArrayEquals(new int[] {151644, 872, 198}, qwen.encode("<|im_start|>user\n"));
    assertEquals(prompt, qwen.decode(ids));
    assertEquals(qwen.eosId(), qwen.specialTokens().idOf(ChatTemplate.ChatMl.IM_END).getAsInt(), "replies stop at <|im_end|>");
  }

  @Test
  void chatMessage_nullContent_rejected() {
    assertThrows(NullPointerException.class, () -> ChatMessage.user(null));
    assertThrows(NullPointerException.class, () -> ChatTemplate.chatMl(null));
  }
}
