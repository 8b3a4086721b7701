package dev.rlft.verify.expr;

import dev.rlft.verify.expr.Expr.Add;
import dev.rlft.verify.expr.Expr.And;
import dev.rlft.verify.expr.Expr.Apply;
import dev.rlft.verify.expr.Expr.BigOp;
import dev.rlft.verify.expr.Expr.Const;
import dev.rlft.verify.expr.Expr.ConstKind;
import dev.rlft.verify.expr.Expr.FiniteSet;
import dev.rlft.verify.expr.Expr.Fn;
import dev.rlft.verify.expr.Expr.Interval;
import dev.rlft.verify.expr.Expr.Matrix;
import dev.rlft.verify.expr.Expr.Mul;
import dev.rlft.verify.expr.Expr.Num;
import dev.rlft.verify.expr.Expr.Percent;
import dev.rlft.verify.expr.Expr.PlusMinus;
import dev.rlft.verify.expr.Expr.Pow;
import dev.rlft.verify.expr.Expr.Rel;
import dev.rlft.verify.expr.Expr.RelKind;
import dev.rlft.verify.expr.Expr.SetOp;
import dev.rlft.verify.expr.Expr.SetOpKind;
import dev.rlft.verify.expr.Expr.SpecialSet;
import dev.rlft.verify.expr.Expr.SpecialSetKind;
import dev.rlft.verify.expr.Expr.Sym;
import dev.rlft.verify.expr.Expr.Tuple;
import dev.rlft.verify.numeric.BigRational;
import dev.rlft.verify.numeric.ExactEvaluator;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Recursive-descent parser from normalised LaTeX (or plain "1/2 + 3" text) to {@link Expr}.
 *
 * <p>Precedence, loosest first: {@code ;} and {@code ,} (lists), relations ({@code = < \le \in
 * \approx}), set operations ({@code \cup \cap \setminus}), {@code + - \pm}, products (explicit
 * {@code * \cdot \times / \div :} and juxtaposition), unary signs, postfix {@code ! %}, powers,
 * atoms. List rules follow latex2sympy: a top-level {@code a, b} is a set, {@code a; b} groups,
 * {@code (a, b)} is an open interval unless {@code b <= a} (then a tuple), {@code [a, b)} is an
 * interval, three or more parenthesised items form a tuple. Unknown commands are errors, so a
 * sentence is never mistaken for an answer.
 */
public final class LatexParser {
  private static final Pattern COMMA_NUMBER = Pattern.compile("^\\s*-?\\d{1,3}(,\\d{3})+(\\.\\d+)?\\s*$");

  private static final Set<String> GREEK = Set.of(
      "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta",
      "vartheta", "iota", "kappa", "lambda", "mu", "nu", "xi", "omicron", "rho", "varrho", "sigma",
      "varsigma", "tau", "upsilon", "phi", "varphi", "chi", "psi", "omega", "Gamma", "Delta",
      "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega", "ell", "hbar");

  private static final Map<String, String> FUNCTIONS = Map.ofEntries(
      Map.entry("sin", "sin"), Map.entry("cos", "cos"), Map.entry("tan", "tan"),
      Map.entry("cot", "cot"), Map.entry("sec", "sec"), Map.entry("csc", "csc"),
      Map.entry("arcsin", "arcsin"), Map.entry("arccos", "arccos"), Map.entry("arctan", "arctan"),
      Map.entry("arccot", "arccot"), Map.entry("arcsec", "arcsec"), Map.entry("arccsc", "arccsc"),
      Map.entry("sinh", "sinh"), Map.entry("cosh", "cosh"), Map.entry("tanh", "tanh"),
      Map.entry("coth", "coth"), Map.entry("sech", "sech"), Map.entry("csch", "csch"),
      Map.entry("arsinh", "arcsinh"), Map.entry("arcsinh", "arcsinh"), Map.entry("arcosh", "arccosh"),
      Map.entry("arccosh", "arccosh"), Map.entry("artanh", "arctanh"), Map.entry("arctanh", "arctanh"),
      Map.entry("ln", "ln"), Map.entry("log", "log"), Map.entry("lg", "log10"), Map.entry("exp", "exp"),
      Map.entry("max", "max"), Map.entry("min", "min"), Map.entry("gcd", "gcd"),
      Map.entry("lcm", "lcm"), Map.entry("det", "det"));

  private static final Set<String> ACCENTS = Set.of(
      "vec", "overrightarrow", "overline", "bar", "hat", "widehat", "tilde", "widetilde", "dot",
      "ddot", "underline", "overleftrightarrow");

  private static final Set<String> FONTS = Set.of(
      "mathbf", "boldsymbol", "mathit", "mathsf", "mathtt", "mathcal", "mathscr", "mathfrak",
      "bm", "textit", "textbf", "textrm", "textsf", "texttt", "textnormal", "mathrm", "mathnormal");

  private static final Set<String> OTHER_COMMANDS = Set.of(
      "frac", "dfrac", "tfrac", "cfrac", "sqrt", "binom", "dbinom", "tbinom", "infty", "emptyset",
      "varnothing", "lfloor", "rfloor", "lceil", "rceil", "langle", "rangle", "lbrace", "rbrace",
      "lvert", "rvert", "vert", "lVert", "rVert", "Vert", "sum", "prod", "begin", "end", "cdot",
      "times", "div", "pm", "mp", "le", "leq", "leqslant", "ge", "geq", "geqslant", "ne", "neq",
      "lt", "gt", "approx", "simeq", "in", "cup", "cap", "setminus", "backslash", "circ", "degree",
      "pmod", "bmod", "mod", "text", "mbox", "operatorname", "mathbb", "pi", "colon", "prime",
      "percent", "ast", "star", "lbrack", "rbrack", "lparen", "rparen", "imath", "to", "rightarrow",
      "Rightarrow", "implies", "cdots", "ldots", "dots", "dotsb", "dotsc", "dotsm", "equiv",
      "notin", "subset", "subseteq", "angle", "triangle", "over", "choose", "R", "Z", "N", "Q", "C");

  /** Letters read as function names when directly followed by "(": f(x), g(2). */
  private static final Set<String> FUNCTION_LETTERS = Set.of("f", "g", "h");

  private final List<Token> tokens;
  private final int maxDepth;
  private int pos;
  private int depth;
  private int absDepth;
  private final Set<String> boundIndices = new HashSet<>();

  private LatexParser(List<Token> tokens, int maxDepth) {
    this.tokens = tokens;
    this.maxDepth = maxDepth;
  }

  static boolean isKnownCommand(String name) {
    return GREEK.contains(name) || FUNCTIONS.containsKey(name) || ACCENTS.contains(name)
        || FONTS.contains(name) || OTHER_COMMANDS.contains(name);
  }

  /**
   * Parses a whole answer.
   *
   * @param text normalised LaTeX, e.g. {@code \frac{1}{2}} or {@code (3, \frac{\pi}{2})}
   * @param maxDepth nesting limit; deeper input is rejected rather than risking a stack overflow
   * @param maxTokens length limit in tokens
   * @throws ParseException when the text is not an expression
   */
  public static Expr parse(String text, int maxDepth, int maxTokens) {
    if (COMMA_NUMBER.matcher(text).matches()) {
      return commaNumber(text.strip());
    }
    LatexParser p = new LatexParser(Tokenizer.tokenize(text, maxTokens), maxDepth);
    return p.parseTop();
  }

  /** "1,234" with thousands commas; "0,111" (leading zero) is a decimal comma as in latex2sympy. */
  private static Expr commaNumber(String s) {
    boolean negative = s.startsWith("-");
    String digits = negative ? s.substring(1) : s;
    if (digits.startsWith("0")) {
      BigDecimal d = new BigDecimal(digits.replace(',', '.'));
      BigRational v = BigRational.of(d);
      return new Num(negative ? v.negate() : v, true);
    }
    BigDecimal d = new BigDecimal(digits.replace(",", ""));
    BigRational v = BigRational.of(d);
    return new Num(negative ? v.negate() : v, digits.contains("."));
  }

  private Expr parseTop() {
    if (peek().type() == Token.Type.EOF) {
      throw new ParseException("empty expression");
    }
    List<List<Expr>> groups = parseList();
    while (peek().isOp(".")) {
      pos++;
    }
    expectEof();
    return elementsToSetOrTuple(groups);
  }

  // ---------------------------------------------------------------- lists and relations

  /** Comma-separated items, grouped by semicolons. */
  private List<List<Expr>> parseList() {
    List<List<Expr>> groups = new ArrayList<>();
    List<Expr> current = new ArrayList<>();
    while (true) {
      current.add(parseRelation());
      if (peek().isOp(",")) {
        pos++;
        continue;
      }
      if (peek().isOp(";")) {
        pos++;
        groups.add(current);
        current = new ArrayList<>();
        continue;
      }
      break;
    }
    groups.add(current);
    return groups;
  }

  /** latex2sympy's rule for a bare list: one item, a set, or a set of tuples (one per group). */
  static Expr elementsToSetOrTuple(List<List<Expr>> groups) {
    List<List<Expr>> expanded = new ArrayList<>();
    for (List<Expr> g : groups) {
      List<Expr> items = new ArrayList<>();
      for (Expr e : g) {
        items.addAll(Exprs.expandPlusMinus(e));
      }
      expanded.add(items);
    }
    if (expanded.size() == 1) {
      List<Expr> only = expanded.get(0);
      return only.size() == 1 ? only.get(0) : new FiniteSet(only);
    }
    if (expanded.stream().allMatch(g -> g.size() == 1)) {
      return new FiniteSet(expanded.stream().map(g -> g.get(0)).toList());
    }
    return new FiniteSet(expanded.stream().<Expr>map(Tuple::new).toList());
  }

  private Expr parseRelation() {
    Expr lhs = parseSetExpr();
    while (true) {
      Optional<String> op = relationOperator(peek());
      if (op.isEmpty()) {
        return lhs;
      }
      pos++;
      Expr rhs = parseSetExpr();
      lhs = combineRelation(lhs, op.get(), rhs);
    }
  }

  private static Optional<String> relationOperator(Token t) {
    if (t.type() == Token.Type.OP) {
      return switch (t.text()) {
        case "=", "<", ">" -> Optional.of(t.text());
        default -> Optional.empty();
      };
    }
    if (t.type() == Token.Type.COMMAND) {
      return switch (t.text()) {
        case "le", "leq", "leqslant" -> Optional.of("<=");
        case "ge", "geq", "geqslant" -> Optional.of(">=");
        case "ne", "neq" -> Optional.of("!=");
        case "lt" -> Optional.of("<");
        case "gt" -> Optional.of(">");
        case "approx", "simeq" -> Optional.of("~");
        case "in" -> Optional.of("in");
        default -> Optional.empty();
      };
    }
    return Optional.empty();
  }

  /** Left-associative chaining as latex2sympy does: {@code a = b = c} becomes two links. */
  private static Expr combineRelation(Expr lhs, String op, Expr rhs) {
    if (op.equals("~")) {
      // An approximation: "x \approx 11" means 11; "x = 1/3 \approx 0.33" keeps the exact part.
      return Exprs.onlySymbols(lhs) ? rhs : lhs;
    }
    RelKind kind = switch (op) {
      case "=", "in" -> RelKind.EQ;
      case "<" -> RelKind.LT;
      case ">" -> RelKind.GT;
      case "<=" -> RelKind.LE;
      case ">=" -> RelKind.GE;
      case "!=" -> RelKind.NE;
      default -> throw new IllegalStateException("unhandled relation " + op);
    };
    if (lhs instanceof And and) {
      List<Rel> links = new ArrayList<>(and.links());
      links.add(new Rel(kind, links.get(links.size() - 1).rhs(), rhs));
      return new And(links);
    }
    if (lhs instanceof Rel rel) {
      return new And(List.of(rel, new Rel(kind, rel.rhs(), rhs)));
    }
    return new Rel(kind, lhs, rhs);
  }

  private Expr parseSetExpr() {
    Expr left = parseAdditive();
    while (true) {
      Token t = peek();
      SetOpKind kind;
      if (t.isCommand("cup")) {
        kind = SetOpKind.UNION;
      } else if (t.isCommand("cap")) {
        kind = SetOpKind.INTERSECTION;
      } else if (t.isCommand("setminus") || t.isCommand("backslash")) {
        kind = SetOpKind.MINUS;
      } else {
        return left;
      }
      pos++;
      Expr right = parseAdditive();
      left = new SetOp(kind, tupleAsSet(left), tupleAsSet(right));
    }
  }

  private static Expr tupleAsSet(Expr e) {
    return e instanceof Tuple t ? new FiniteSet(t.items()) : e;
  }

  // ---------------------------------------------------------------- arithmetic

  private Expr parseAdditive() {
    List<Expr> terms = new ArrayList<>();
    Expr first = parseMultiplicative();
    Expr pm = null;
    terms.add(first);
    while (true) {
      Token t = peek();
      if (t.isOp("+")) {
        pos++;
        terms.add(parseMultiplicative());
      } else if (t.isOp("-")) {
        pos++;
        terms.add(Exprs.negate(parseMultiplicative()));
      } else if (t.isCommand("pm") || t.isCommand("mp")) {
        pos++;
        Expr right = parseMultiplicative();
        Expr left = terms.size() == 1 ? terms.get(0) : new Add(terms);
        pm = new PlusMinus(left, t.isCommand("mp") ? Exprs.negate(right) : right);
        terms = new ArrayList<>();
        terms.add(pm);
      } else {
        break;
      }
    }
    return terms.size() == 1 ? terms.get(0) : new Add(terms);
  }

  private Expr parseMultiplicative() {
    List<Expr> factors = new ArrayList<>();
    factors.add(parseUnary());
    while (true) {
      Token t = peek();
      if (t.isOp("*") || t.isCommand("cdot") || t.isCommand("times") || t.isCommand("ast")
          || t.isCommand("star")) {
        pos++;
        factors.add(parseUnary());
      } else if (t.isOp("/") || t.isCommand("div") || t.isCommand("over")) {
        pos++;
        factors.add(Exprs.reciprocal(parseUnary()));
      } else if (t.isOp(":") || t.isCommand("colon")) {
        pos++;
        factors.add(Exprs.reciprocal(parseUnary()));
      } else if (t.isCommand("bmod") || t.isCommand("mod")) {
        pos++;
        Expr left = factors.size() == 1 ? factors.get(0) : new Mul(factors);
        factors = new ArrayList<>();
        factors.add(new Fn("mod", List.of(left, parseUnary())));
      } else if (t.isCommand("pmod")) {
        // "9 \pmod{11}": the residue is the answer; the modulus is context.
        pos++;
        parseGroupOrAtom();
      } else if (startsImplicitFactor(t)) {
        factors.add(parsePostfix());
      } else {
        break;
      }
    }
    return factors.size() == 1 ? factors.get(0) : Exprs.mul(factors);
  }

  private boolean startsImplicitFactor(Token t) {
    switch (t.type()) {
      case NUMBER, LETTER:
        return true;
      case OP:
        return switch (t.text()) {
          case "(", "[", "{" -> true;
          case "|" -> absDepth == 0;
          default -> false;
        };
      case COMMAND:
        String c = t.text();
        if (c.equals("|") || c.equals("vert") || c.equals("lvert") || c.equals("Vert")) {
          return absDepth == 0;
        }
        return GREEK.contains(c) || FUNCTIONS.containsKey(c) || ACCENTS.contains(c)
            || FONTS.contains(c) || Set.of("frac", "dfrac", "tfrac", "cfrac", "sqrt", "binom",
                "dbinom", "tbinom", "infty", "pi", "lfloor", "lceil", "langle", "{", "lbrace",
                "text", "mbox", "operatorname", "mathbb", "sum", "prod", "begin", "imath").contains(c);
      default:
        return false;
    }
  }

  private Expr parseUnary() {
    enter();
    try {
      Token t = peek();
      if (t.isOp("-")) {
        pos++;
        return Exprs.negate(parseUnary());
      }
      if (t.isOp("+")) {
        pos++;
        return parseUnary();
      }
      if (t.isCommand("pm") || t.isCommand("mp")) {
        pos++;
        Expr inner = parseUnary();
        return new PlusMinus(null, t.isCommand("mp") ? Exprs.negate(inner) : inner);
      }
      return parsePostfix();
    } finally {
      depth--;
    }
  }

  private Expr parsePostfix() {
    Expr e = parsePower();
    while (true) {
      Token t = peek();
      if (t.isOp("!")) {
        pos++;
        e = new Fn("factorial", List.of(e));
      } else if (t.isOp("%") || t.isCommand("%") || t.isCommand("percent")) {
        pos++;
        e = new Percent(e);
      } else if (t.isCommand("circ") || t.isCommand("degree")) {
        pos++;
      } else {
        return e;
      }
    }
  }

  private Expr parsePower() {
    Expr base = parsePrimary();
    while (peek().isOp("^")) {
      pos++;
      if (peek().isCommand("circ")) {
        pos++;
        continue;
      }
      if (peek().isOp("{") && peekAt(1).isCommand("circ") && peekAt(2).isOp("}")) {
        pos += 3;
        continue;
      }
      if (peek().isOp("'") || peek().isCommand("prime")) {
        throw new ParseException("derivative notation is not supported");
      }
      Expr exponent = parseExponent();
      base = new Pow(base, exponent);
    }
    return base;
  }

  private Expr parseExponent() {
    Token t = peek();
    if (t.isOp("{")) {
      return parseBraceGroupExpr();
    }
    if (t.isOp("-") || t.isOp("+")) {
      pos++;
      Expr inner = parseExponent();
      return t.isOp("-") ? Exprs.negate(inner) : inner;
    }
    return parseAtomArgument();
  }

  /** An argument that is either {@code {...}} or a single token such as {@code 2}, {@code x}, {@code \pi}. */
  private Expr parseGroupOrAtom() {
    if (peek().isOp("{")) {
      return parseBraceGroupExpr();
    }
    return parseAtomArgument();
  }

  private Expr parseAtomArgument() {
    Token t = peek();
    switch (t.type()) {
      case NUMBER:
        pos++;
        return number(t.text());
      case LETTER:
        pos++;
        return letter(t.text());
      case COMMAND:
        return parsePrimary();
      default:
        if (t.isOp("(")) {
          return parsePrimary();
        }
        throw new ParseException("expected an argument, found '" + t.text() + "'");
    }
  }

  private Expr parseBraceGroupExpr() {
    expectOp("{");
    if (peek().isOp("}")) {
      throw new ParseException("empty group");
    }
    List<List<Expr>> groups = parseList();
    expectOp("}");
    return elementsToSetOrTuple(groups);
  }

  // ---------------------------------------------------------------- atoms

  private Expr parsePrimary() {
    enter();
    try {
      Token t = peek();
      return switch (t.type()) {
        case NUMBER -> parseNumberAtom();
        case LETTER -> parseLetterAtom();
        case COMMAND -> parseCommand();
        case OP -> parseBracket();
        case EOF -> throw new ParseException("unexpected end of expression");
      };
    } finally {
      depth--;
    }
  }

  private Expr parseNumberAtom() {
    Token t = next();
    Num n = number(t.text());
    // A base subscript such as 204_5 is ignored, as latex2sympy does.
    if (peek().isOp("_")) {
      pos++;
      skipSubscriptArgument();
    }
    // Mixed number: 2\frac{1}{2} is 5/2 when the fraction is a proper one of integer literals.
    if (!n.isFloat() && n.value().isInteger() && peek().isCommand("frac")) {
      int save = pos;
      Optional<BigRational> frac = tryIntegerFraction();
      if (frac.isPresent() && frac.get().signum() > 0
          && frac.get().compareTo(BigRational.ONE) < 0) {
        return new Num(n.value().add(frac.get()), false);
      }
      pos = save;
    }
    return n;
  }

  private Optional<BigRational> tryIntegerFraction() {
    pos++;
    Optional<BigInteger> top = integerGroup();
    if (top.isEmpty()) {
      return Optional.empty();
    }
    Optional<BigInteger> bottom = integerGroup();
    if (bottom.isEmpty() || bottom.get().signum() == 0) {
      return Optional.empty();
    }
    return Optional.of(BigRational.of(top.get(), bottom.get()));
  }

  private Optional<BigInteger> integerGroup() {
    if (peek().isOp("{") && peekAt(1).type() == Token.Type.NUMBER && peekAt(2).isOp("}")
        && peekAt(1).text().chars().allMatch(Character::isDigit)) {
      BigInteger v = new BigInteger(peekAt(1).text());
      pos += 3;
      return Optional.of(v);
    }
    return Optional.empty();
  }

  private static Num number(String text) {
    try {
      BigDecimal d = new BigDecimal(text.startsWith(".") ? "0" + text : text);
      boolean isFloat = text.contains(".") || text.contains("e") || text.contains("E");
      if (Math.abs((long) d.scale()) > 400 || d.precision() > 400) {
        throw new ParseException("number literal too long");
      }
      return new Num(BigRational.of(d), isFloat);
    } catch (NumberFormatException e) {
      throw new ParseException("bad number " + text);
    }
  }

  private Expr parseLetterAtom() {
    String letter = next().text();
    String name = letter;
    boolean subscripted = false;
    if (peek().isOp("_")) {
      pos++;
      name = letter + "_" + subscriptText();
      subscripted = true;
    }
    while (peek().isOp("'")) {
      pos++;
      name = name + "'";
      subscripted = true;
    }
    if (!subscripted && FUNCTION_LETTERS.contains(letter) && peek().isOp("(")) {
      return new Apply(letter, parseCallArguments());
    }
    if (subscripted || boundIndices.contains(name)) {
      return new Sym(name, false);
    }
    return letter(letter);
  }

  private Expr letter(String letter) {
    if (boundIndices.contains(letter)) {
      return new Sym(letter, false);
    }
    return switch (letter) {
      case "e" -> new Const(ConstKind.E);
      case "i" -> new Const(ConstKind.I);
      default -> new Sym(letter, false);
    };
  }

  /** Canonical text of a subscript: {@code _{37}}, {@code _ 3} and {@code _{ 3 }} all give the same name. */
  private String subscriptText() {
    StringBuilder sb = new StringBuilder();
    if (peek().isOp("{")) {
      pos++;
      int level = 1;
      while (true) {
        Token t = next();
        if (t.type() == Token.Type.EOF) {
          throw new ParseException("unclosed subscript");
        }
        if (t.isOp("{")) {
          level++;
        } else if (t.isOp("}")) {
          level--;
          if (level == 0) {
            break;
          }
        }
        sb.append(t.type() == Token.Type.COMMAND ? "\\" + t.text() + " " : t.text());
      }
    } else {
      Token t = next();
      if (t.type() == Token.Type.EOF || t.type() == Token.Type.OP) {
        throw new ParseException("bad subscript");
      }
      sb.append(t.type() == Token.Type.COMMAND ? "\\" + t.text() : t.text());
    }
    String s = sb.toString().strip();
    if (s.isEmpty()) {
      throw new ParseException("empty subscript");
    }
    return s;
  }

  private void skipSubscriptArgument() {
    subscriptText();
  }

  private List<Expr> parseCallArguments() {
    expectOp("(");
    List<Expr> args = new ArrayList<>();
    if (peek().isOp(")")) {
      throw new ParseException("empty argument list");
    }
    int savedAbs = absDepth;
    absDepth = 0;
    args.add(parseRelation());
    while (peek().isOp(",")) {
      pos++;
      args.add(parseRelation());
    }
    absDepth = savedAbs;
    expectOp(")");
    return args;
  }

  private Expr parseBracket() {
    Token t = peek();
    switch (t.text()) {
      case "(", "[":
        return parseParenthesised();
      case "{":
        return parseBraceGroupExpr();
      case "|":
        return parseAbs("|");
      default:
        throw new ParseException("unexpected '" + t.text() + "'");
    }
  }

  /** {@code (…)} or {@code […]}: a group, an interval, or a tuple. */
  private Expr parseParenthesised() {
    Token open = next();
    int savedAbs = absDepth;
    absDepth = 0;
    List<List<Expr>> groups = parseList();
    absDepth = savedAbs;
    Token close = next();
    if (!close.isOp(")") && !close.isOp("]")) {
      throw new ParseException("expected ')' or ']' but found '" + close.text() + "'");
    }
    List<Expr> flat = new ArrayList<>();
    groups.forEach(flat::addAll);
    boolean loOpen = open.isOp("(");
    boolean hiOpen = close.isOp(")");
    if (flat.size() == 1 && groups.size() == 1) {
      if (loOpen != hiOpen) {
        throw new ParseException("mismatched brackets around a single value");
      }
      return flat.get(0);
    }
    if (flat.size() == 2 && groups.size() == 1) {
      Expr lo = flat.get(0);
      Expr hi = flat.get(1);
      if (isEmptyInterval(lo, hi, loOpen, hiOpen)) {
        return new Tuple(flat);
      }
      return new Interval(lo, hi, loOpen, hiOpen);
    }
    if (!loOpen && hiOpen || loOpen && !hiOpen) {
      throw new ParseException("half-open brackets need exactly two values");
    }
    return new Tuple(flat);
  }

  /** An interval that would be empty is read as a tuple instead, e.g. the point (3, 1). */
  private static boolean isEmptyInterval(Expr lo, Expr hi, boolean loOpen, boolean hiOpen) {
    Optional<BigRational> a = ExactEvaluator.evaluate(lo);
    Optional<BigRational> b = ExactEvaluator.evaluate(hi);
    if (a.isEmpty() || b.isEmpty()) {
      return false;
    }
    int cmp = b.get().compareTo(a.get());
    return (loOpen && hiOpen && cmp <= 0) || (!loOpen && !hiOpen && cmp < 0);
  }

  private Expr parseAbs(String closer) {
    pos++;
    absDepth++;
    Expr inner = parseSetExprNoList();
    absDepth--;
    Token t = next();
    boolean ok = switch (closer) {
      case "|" -> t.isOp("|") || t.isCommand("vert") || t.isCommand("rvert") || t.isCommand("|");
      default -> t.isCommand(closer);
    };
    if (!ok) {
      throw new ParseException("unclosed absolute value");
    }
    return new Fn("abs", List.of(inner));
  }

  private Expr parseSetExprNoList() {
    return parseRelation();
  }

  private Expr parseCommand() {
    Token t = next();
    String c = t.text();
    if (GREEK.contains(c)) {
      String name = c;
      if (peek().isOp("_")) {
        pos++;
        name = c + "_" + subscriptText();
      }
      return new Sym(name, false);
    }
    if (FUNCTIONS.containsKey(c)) {
      return parseFunction(FUNCTIONS.get(c));
    }
    if (ACCENTS.contains(c)) {
      String content = rawGroupText();
      String kind = switch (c) {
        case "overline", "bar" -> "bar";
        case "vec", "overrightarrow" -> "vec";
        case "tilde", "widetilde" -> "tilde";
        case "hat", "widehat" -> "hat";
        default -> c;
      };
      return new Sym(kind + "{" + content + "}", false);
    }
    if (FONTS.contains(c)) {
      String content = rawGroupText();
      return new Sym(content, false);
    }
    switch (c) {
      case "pi":
        return new Const(ConstKind.PI);
      case "imath":
        return new Const(ConstKind.I);
      case "infty":
        return new Const(ConstKind.INFINITY);
      case "emptyset", "varnothing":
        return new SpecialSet(SpecialSetKind.EMPTY);
      case "frac", "dfrac", "tfrac", "cfrac": {
        Expr top = parseGroupOrAtom();
        Expr bottom = parseGroupOrAtom();
        return Exprs.divide(top, bottom);
      }
      case "sqrt": {
        Expr index = null;
        if (peek().isOp("[")) {
          pos++;
          index = parseAdditive();
          expectOp("]");
        }
        Expr radicand = parseGroupOrAtom();
        if (index == null) {
          return new Fn("sqrt", List.of(radicand));
        }
        return new Pow(radicand, Exprs.reciprocal(index));
      }
      case "binom", "dbinom", "tbinom": {
        Expr n = parseGroupOrAtom();
        Expr k = parseGroupOrAtom();
        return new Fn("binomial", List.of(n, k));
      }
      case "lfloor":
        return parseDelimited("rfloor", "floor");
      case "lceil":
        return parseDelimited("rceil", "ceil");
      case "|", "vert", "lvert", "Vert", "lVert":
        pos--;
        return parseAbs(c.equals("lvert") ? "rvert" : c.equals("lVert") ? "rVert" : "|");
      case "{", "lbrace":
        return parseBracedSet(c.equals("{") ? "}" : "rbrace");
      case "langle": {
        List<List<Expr>> groups = parseList();
        expectCommand("rangle");
        List<Expr> flat = new ArrayList<>();
        groups.forEach(flat::addAll);
        return flat.size() == 1 ? flat.get(0) : new Tuple(flat);
      }
      case "text", "mbox", "operatorname":
        return parseText(c);
      case "mathbb": {
        String content = rawGroupText();
        return switch (content) {
          case "R" -> new SpecialSet(SpecialSetKind.REALS);
          case "Z" -> new SpecialSet(SpecialSetKind.INTEGERS);
          case "N" -> new SpecialSet(SpecialSetKind.NATURALS);
          case "Q" -> new SpecialSet(SpecialSetKind.RATIONALS);
          case "C" -> new SpecialSet(SpecialSetKind.COMPLEXES);
          default -> new Sym("mathbb{" + content + "}", false);
        };
      }
      case "R":
        return new SpecialSet(SpecialSetKind.REALS);
      case "sum", "prod":
        return parseBigOperator(c.equals("prod"));
      case "begin":
        return parseEnvironment();
      case "lbrack", "lparen":
        pos--;
        throw new ParseException("unsupported bracket command");
      default:
        throw new ParseException("unsupported command \\" + c);
    }
  }

  private Expr parseDelimited(String closer, String fn) {
    int savedAbs = absDepth;
    absDepth = 0;
    Expr inner = parseAdditive();
    absDepth = savedAbs;
    expectCommand(closer);
    return new Fn(fn, List.of(inner));
  }

  private Expr parseBracedSet(String closer) {
    if (peek().isCommand(closer)) {
      pos++;
      return new SpecialSet(SpecialSetKind.EMPTY);
    }
    int savedAbs = absDepth;
    absDepth = 0;
    List<List<Expr>> groups = parseList();
    absDepth = savedAbs;
    expectCommand(closer);
    List<Expr> items = new ArrayList<>();
    for (List<Expr> g : groups) {
      for (Expr e : g) {
        items.addAll(Exprs.expandPlusMinus(e));
      }
    }
    return new FiniteSet(items);
  }

  /** {@code \text{...}}: a word becomes one symbol; parentheses are dropped so \text{(C)} is C. */
  private Expr parseText(String command) {
    String content = rawGroupText().replace("(", "").replace(")", "").strip();
    if (command.equals("operatorname")) {
      String fn = FUNCTIONS.get(content);
      if (fn != null) {
        return parseFunction(fn);
      }
      if (peek().isOp("(")) {
        return new Apply(content, parseCallArguments());
      }
    }
    if (content.isEmpty()) {
      throw new ParseException("empty text");
    }
    return new Sym(content.replaceAll("\\s+", " "), true);
  }

  /** Text of a {@code {...}} group (or one token) as written, without evaluating it. */
  private String rawGroupText() {
    StringBuilder sb = new StringBuilder();
    if (!peek().isOp("{")) {
      Token t = next();
      if (t.type() == Token.Type.EOF) {
        throw new ParseException("missing argument");
      }
      return t.type() == Token.Type.COMMAND ? "\\" + t.text() : t.text();
    }
    pos++;
    int level = 1;
    Token prev = null;
    while (true) {
      Token t = next();
      if (t.type() == Token.Type.EOF) {
        throw new ParseException("unclosed group");
      }
      if (t.isOp("{")) {
        level++;
      } else if (t.isOp("}")) {
        level--;
        if (level == 0) {
          break;
        }
      }
      if (prev != null && prev.type() == Token.Type.LETTER && t.type() == Token.Type.LETTER) {
        sb.append("");
      }
      sb.append(t.type() == Token.Type.COMMAND ? "\\" + t.text() : t.text());
      prev = t;
    }
    return sb.toString();
  }

  private Expr parseFunction(String name) {
    Expr power = null;
    Expr base = null;
    // \log_2 x, \log_{10}(x)
    if (peek().isOp("_")) {
      pos++;
      base = parseGroupOrAtom();
    }
    if (peek().isOp("^")) {
      pos++;
      power = parseExponent();
      if (peek().isOp("_") && base == null) {
        pos++;
        base = parseGroupOrAtom();
      }
    }
    List<Expr> args;
    if (peek().isOp("(")) {
      args = parseCallArguments();
    } else if (peek().isOp("{")) {
      args = List.of(parseBraceGroupExpr());
    } else {
      args = List.of(parseFunctionArgumentWithoutParentheses());
    }
    if (base != null) {
      if (!name.equals("log")) {
        throw new ParseException("subscript on \\" + name);
      }
      args = List.of(args.get(0), base);
    }
    Expr fn = new Fn(name, args);
    if (power == null) {
      return fn;
    }
    if (power instanceof Num n && n.value().equals(BigRational.of(-1)) && name.matches("sin|cos|tan")) {
      return new Fn("arc" + name, args);
    }
    return new Pow(fn, power);
  }

  /** {@code \sin 2x} is sin(2x); {@code \sin b \cos a} stops at the next function. */
  private Expr parseFunctionArgumentWithoutParentheses() {
    List<Expr> factors = new ArrayList<>();
    factors.add(parsePostfix());
    while (true) {
      Token t = peek();
      if (t.type() == Token.Type.COMMAND && FUNCTIONS.containsKey(t.text())) {
        break;
      }
      if (!startsImplicitFactor(t) || t.isOp("(") || t.isOp("[")) {
        break;
      }
      factors.add(parsePostfix());
    }
    return factors.size() == 1 ? factors.get(0) : Exprs.mul(factors);
  }

  private Expr parseBigOperator(boolean product) {
    expectOp("_");
    expectOp("{");
    Token var = next();
    if (var.type() != Token.Type.LETTER && !(var.type() == Token.Type.COMMAND && GREEK.contains(var.text()))) {
      throw new ParseException("sum index must be a letter");
    }
    String index = var.text();
    if (!peek().isOp("=")) {
      throw new ParseException("sum without lower bound");
    }
    pos++;
    Expr from = parseAdditive();
    expectOp("}");
    expectOp("^");
    Expr to = parseExponent();
    boolean added = boundIndices.add(index);
    try {
      Expr body = parseMultiplicative();
      return new BigOp(product, body, new Sym(index, false), from, to);
    } finally {
      if (added) {
        boundIndices.remove(index);
      }
    }
  }

  private Expr parseEnvironment() {
    String env = rawGroupText();
    String base = env.replace("*", "");
    switch (base) {
      case "matrix", "pmatrix", "bmatrix", "Bmatrix", "smallmatrix", "vmatrix", "Vmatrix", "array":
        break;
      default:
        throw new ParseException("unsupported environment " + env);
    }
    if (base.equals("array") && peek().isOp("{")) {
      rawGroupText();
    }
    List<List<Expr>> rows = new ArrayList<>();
    List<Expr> row = new ArrayList<>();
    int savedAbs = absDepth;
    absDepth = 0;
    while (true) {
      Token t = peek();
      if (t.isCommand("end")) {
        pos++;
        String closing = rawGroupText();
        if (!closing.equals(env)) {
          throw new ParseException("\\begin{" + env + "} closed by \\end{" + closing + "}");
        }
        if (!row.isEmpty()) {
          rows.add(row);
        }
        break;
      }
      if (t.isCommand("\\")) {
        pos++;
        if (!row.isEmpty()) {
          rows.add(row);
        }
        row = new ArrayList<>();
        continue;
      }
      row.add(parseSetExpr());
      if (peek().isOp("&")) {
        pos++;
        if (peek().isCommand("\\") || peek().isCommand("end")) {
          throw new ParseException("empty matrix cell");
        }
      }
    }
    absDepth = savedAbs;
    if (rows.isEmpty()) {
      throw new ParseException("empty matrix");
    }
    Matrix m;
    try {
      m = new Matrix(rows);
    } catch (IllegalArgumentException e) {
      throw new ParseException(e.getMessage());
    }
    if (base.equals("vmatrix")) {
      return new Fn("det", List.of(m));
    }
    return m;
  }

  // ---------------------------------------------------------------- token helpers

  private void enter() {
    if (++depth > maxDepth) {
      throw new ParseException("expression nested deeper than " + maxDepth);
    }
  }

  private Token peek() {
    return tokens.get(pos);
  }

  private Token peekAt(int offset) {
    int i = Math.min(pos + offset, tokens.size() - 1);
    return tokens.get(i);
  }

  private Token next() {
    Token t = tokens.get(pos);
    if (t.type() != Token.Type.EOF) {
      pos++;
    }
    return t;
  }

  private void expectOp(String op) {
    Token t = next();
    if (!t.isOp(op)) {
      throw new ParseException("expected '" + op + "' but found '" + t.text() + "'");
    }
  }

  private void expectCommand(String c) {
    Token t = next();
    if (!t.isCommand(c)) {
      throw new ParseException("expected \\" + c + " but found '" + t.text() + "'");
    }
  }

  private void expectEof() {
    Token t = peek();
    if (t.type() != Token.Type.EOF) {
      throw new ParseException("unexpected '" + t.text() + "' after the expression");
    }
  }
}
