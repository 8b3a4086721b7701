package dev.rlft.wire;

import dev.rlft.proto.wire.FloatList;
import dev.rlft.proto.wire.NullableString;
import dev.rlft.proto.wire.ScoreRequest;
import dev.rlft.proto.wire.ScoreStepsRequest;
import dev.rlft.proto.wire.ScoredReply;
import dev.rlft.proto.wire.StepsScoredReply;
import dev.rlft.proto.wire.StringList;
import dev.rlft.reward.RewardWorker;
import dev.rlft.reward.StepRewardWorker;
import java.util.ArrayList;
import java.util.List;

/** Protobuf mapping of the reward and step-reward workers' protocols. */
final class RewardCodecs {

  private RewardCodecs() {}

  static List<ControlCodec<?>> codecs() {
    return List.of(
        ControlCodec.of("reward.Score", RewardWorker.Score.class,
            (m, refs) -> ScoreRequest.newBuilder().setBatchId(m.batchId()).setAttempt(m.attempt())
                .addAllCompletions(m.completions()).addAllAnswers(m.answers()).setReplyTo(refs.write(m.replyTo()))
                .build(),
            (b, refs) -> {
              ScoreRequest p = ScoreRequest.parseFrom(b);
              return new RewardWorker.Score(p.getBatchId(), p.getAttempt(), new ArrayList<>(p.getCompletionsList()),
                  new ArrayList<>(p.getAnswersList()), refs.required(p.getReplyTo(), "replyTo"));
            }),
        ControlCodec.of("reward.Scored", RewardWorker.Scored.class,
            (m, refs) -> {
              ScoredReply.Builder p = ScoredReply.newBuilder().setBatchId(m.batchId()).setAttempt(m.attempt())
                  .addAllRewards(ControlCodecs.boxed(m.rewards()));
              for (boolean c : m.correct()) {
                p.addCorrect(c);
              }
              for (String e : m.extracted()) {
                NullableString.Builder n = NullableString.newBuilder();
                if (e != null) {
                  n.setValue(e);
                }
                p.addExtracted(n);
              }
              if (m.worker() != null) {
                p.setWorker(m.worker());
              }
              return p.build();
            },
            (b, refs) -> {
              ScoredReply p = ScoredReply.parseFrom(b);
              boolean[] correct = new boolean[p.getCorrectCount()];
              for (int i = 0; i < correct.length; i++) {
                correct[i] = p.getCorrect(i);
              }
              String[] extracted = new String[p.getExtractedCount()];
              for (int i = 0; i < extracted.length; i++) {
                extracted[i] = p.getExtracted(i).hasValue() ? p.getExtracted(i).getValue() : null;
              }
              if (correct.length != p.getRewardsCount() || extracted.length != p.getRewardsCount()) {
                throw new IllegalArgumentException("rewards, correct and extracted differ in count: "
                    + p.getRewardsCount() + ", " + correct.length + ", " + extracted.length);
              }
              return new RewardWorker.Scored(p.getBatchId(), p.getAttempt(), ControlCodecs.floats(p.getRewardsList()),
                  correct, extracted, p.hasWorker() ? p.getWorker() : null);
            }),
        ControlCodec.of("reward.ScoreSteps", StepRewardWorker.ScoreSteps.class,
            (m, refs) -> {
              ScoreStepsRequest.Builder p = ScoreStepsRequest.newBuilder().setBatchId(m.batchId())
                  .addAllProblems(m.problems()).setReplyTo(refs.write(m.replyTo()));
              m.steps().forEach(s -> p.addSteps(StringList.newBuilder().addAllValues(List.of(s))));
              return p.build();
            },
            (b, refs) -> {
              ScoreStepsRequest p = ScoreStepsRequest.parseFrom(b);
              ArrayList<String[]> steps = new ArrayList<>(p.getStepsCount());
              p.getStepsList().forEach(s -> steps.add(s.getValuesList().toArray(new String[0])));
              return new StepRewardWorker.ScoreSteps(p.getBatchId(), new ArrayList<>(p.getProblemsList()), steps,
                  refs.required(p.getReplyTo(), "replyTo"));
            }),
        ControlCodec.of("reward.StepsScored", StepRewardWorker.StepsScored.class,
            (m, refs) -> {
              StepsScoredReply.Builder p = StepsScoredReply.newBuilder().setBatchId(m.batchId());
              for (float[] s : m.scores()) {
                p.addScores(FloatList.newBuilder().addAllValues(ControlCodecs.boxed(s)));
              }
              if (m.worker() != null) {
                p.setWorker(m.worker());
              }
              return p.build();
            },
            (b, refs) -> {
              StepsScoredReply p = StepsScoredReply.parseFrom(b);
              float[][] scores = new float[p.getScoresCount()][];
              for (int i = 0; i < scores.length; i++) {
                scores[i] = ControlCodecs.floats(p.getScores(i).getValuesList());
              }
              return new StepRewardWorker.StepsScored(p.getBatchId(), scores, p.hasWorker() ? p.getWorker() : null);
            }));
  }
}
