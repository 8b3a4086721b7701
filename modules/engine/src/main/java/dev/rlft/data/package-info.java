/**
 * Math problem data sets: the {@link dev.rlft.data.Problem} value, the {@link
 * dev.rlft.data.ProblemSource} interface through which every data set is read, JSONL readers for
 * our own, GSM8K and MATH files, and the embedded seeded arithmetic task.
 *
 * <p>Every solution shares one shape: chain-of-thought steps separated by a blank line, the last
 * step holding {@code \boxed{answer}}; {@link dev.rlft.data.Steps} splits it. Bad input files raise
 * {@link dev.rlft.data.DatasetException}, whose one-line message names the file and line.
 */
package dev.rlft.data;
