// The vibee language, v1 (docs/language.md). Combined lexer + parser grammar; the C++
// code is generated at build time (see CMakeLists.txt). frontend/Parser.cpp turns the
// parse tree into the AST and does the remaining checks (literal ranges, dtypes).
grammar Vibee;

spec : header item* EOF ;
header : 'spec' IDENT VERSION STRING ';' ;
item : constDecl | kernel | behavior ;

// A scalar constant (`const c: f32 = 0.5;`) or a constant tensor with literal dims and
// a nested list of constant expressions (`const lut: f32[4] = [0.0, 0.5, -0.5, 1.0];`).
constDecl : 'const' IDENT ':' type '=' constValue ';' ;
constValue : '[' constValue (',' constValue)* ']' | expr ;

// ---- Kernels -----------------------------------------------------------------
kernel
  : 'kernel' IDENT '(' (param (',' param)*)? ')'
    ('->' (result | '(' result (',' result)* ')'))?
    '{' bodyItem* '}'
  ;
// A schedule block may only come first, once: Parser.cpp reports a misplaced one
// precisely instead of a syntax error.
bodyItem : schedule | statement ;
param : IDENT ':' INOUT='inout'? type ('=' expr)? ;
result : IDENT ':' type ;
type : IDENT ('[' dim (',' dim)* ']')? ;
// A result's dim may be affine in the parameters' symbolic dims (`N - K + 1`); sema
// checks the expression (frontend/SemaDims.cpp).
dim : IDENT | NUMBER | expr ;

// Optional performance hints (docs/language.md, "Schedule hints"): entries such as
// `tile(M = 64)`, `vector(16)`, `parallel(N)`, `threads(2)`; sema checks their names
// and values.
schedule : 'schedule' '{' scheduleEntry* '}' ;
scheduleEntry : IDENT '(' (scheduleArg (',' scheduleArg)*)? ')' ';' ;
scheduleArg : IDENT ('=' signedNumber)? | signedNumber ;

// The reduction is an expression alternative so that a misplaced one gets a precise
// diagnostic ("must be outermost") instead of a syntax error; Parser.cpp only accepts
// it as the whole right-hand side.
// Two targets only for `topk` (values, indices: docs/language.md, "Top-k"); Parser.cpp
// says so for any other right-hand side. `+=` adds into the target, whose subscripts
// may then be gathers (docs/language.md, "Scatter-add").
statement : target (',' target)? op=('=' | '+=') expr ';' ;
target : IDENT ('[' subscript (',' subscript)* ']')? ;
// A subscript is an index name, an integer literal, an affine expression of indices
// and symbolic dims (`2 * j + 1`, `N - 1 - i`, `k / 128`) or an element of an integer
// tensor (`ids[s]`, a gather); sema checks which (frontend/SemaSubscripts.cpp).
subscript : expr ;

// Alternatives are in decreasing precedence. `max(a, b)` is a call; `max(c) x[r, c]`
// is a reduction: the reduction needs an expression after ')' and, where both read
// (`max(a, b) - c`), the earlier alternative (the call) wins.
expr
  : '(' expr ')'                                              # ParenExpr
  | callee=(IDENT | 'max' | 'min') '(' (expr (',' expr)*)? ')' # CallExpr
  | IDENT '[' subscript (',' subscript)* ']'                  # AccessExpr
  | IDENT                                                     # NameExpr
  | NUMBER                                                    # NumberExpr
  | ('true' | 'false')                                        # BoolExpr
  | op=('-' | '!' | '~') expr                                 # UnaryExpr
  | expr op=('*' | '/' | '%') expr                            # BinaryExpr
  | expr op=('+' | '-') expr                                  # BinaryExpr
  // Bit operations bind tighter than comparisons (unlike C): `x & 15 == 3` is
  // `(x & 15) == 3`.
  | expr op=('<<' | '>>') expr                                # BinaryExpr
  | expr op='&' expr                                          # BinaryExpr
  | expr op='^' expr                                          # BinaryExpr
  | expr op='|' expr                                          # BinaryExpr
  | expr op=('<' | '<=' | '>' | '>=') expr                    # BinaryExpr
  | expr op=('==' | '!=') expr                                # BinaryExpr
  | expr op='&&' expr                                         # BinaryExpr
  | expr op='||' expr                                         # BinaryExpr
  // argmax/argmin (docs/language.md, "Arg reductions") are reductions whose value is
  // the index of the first extremum.
  // topk(c, j) (docs/language.md, "Top-k") ranks along c into the left-hand side index j.
  | red=('sum' | 'max' | 'min' | 'prod' | 'argmax' | 'argmin' | 'topk') '(' IDENT (',' IDENT)* ')' expr # ReduceExpr
  // Scans (docs/language.md, "Scans"): a prefix reduction along one left-hand side
  // index (`cumsum(t) x[i, t]`, `cumsum(t, exclusive) ...`) and a first-order linear
  // recurrence from an initial value (`scan(t, h0[i]) a[i, t] * h[i, t - 1] + b[i, t]`).
  // Like a reduction, only the whole right-hand side (Parser.cpp).
  | scan=('cumsum' | 'cumprod' | 'cummax' | 'cummin') '(' IDENT (',' IDENT)? ')' expr # ScanExpr
  | 'scan' '(' IDENT ',' expr ')' expr                                     # RecurExpr
  ;

// ---- Behaviors ---------------------------------------------------------------
behavior : 'behavior' STRING '{' clause* '}' ;
clause
  : 'given' binding (',' binding)* ';'                               # GivenClause
  | 'when' IDENT '(' (argument (',' argument)*)? ')' ';'              # WhenClause
  | 'then' IDENT (approx='~=' value 'within' signedNumber | '==' value) ';' # ThenClause
  ;
binding : IDENT '=' value ;
argument : IDENT ('=' value)? ;
value
  : '[' value (',' value)* ']'                                 # ListValue
  | IDENT '(' (signedNumber (',' signedNumber)*)? ')'          # CtorValue
  | signedNumber                                               # NumberValue
  | ('true' | 'false')                                         # BoolValue
  | IDENT                                                      # NameValue
  ;
signedNumber : '-'? NUMBER ;

// ---- Tokens ------------------------------------------------------------------
VERSION : DIGITS '.' DIGITS '.' DIGITS ;
NUMBER : DIGITS ('.' DIGITS)? EXPONENT? | '.' DIGITS EXPONENT? ;
IDENT : [a-zA-Z_] [a-zA-Z_0-9]* ;
STRING : '"' (~["\\\r\n] | '\\' ~[\r\n])* '"' ;
fragment DIGITS : [0-9]+ ;
fragment EXPONENT : [eE] [+-]? DIGITS ;

COMMENT : '//' ~[\r\n]* -> skip ;
WS : [ \t\r\n]+ -> skip ;
