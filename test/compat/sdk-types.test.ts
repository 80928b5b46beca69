/**
 * Type fidelity (docs/compat.md, "Type fidelity"): test/compat/types/sdk-types.ts, which compares
 * the compat modules with the installed `agora-rtm-sdk` 1.5.1 and `agora-rtm` 2.x typings member by
 * member, compiles without an error under its own tsconfig; and it stops compiling when either
 * SDK's typings change in an emulated member: each case below edits one declaration of a real
 * `.d.ts` (in memory) and expects the check to fail. The compiler runs in this process
 * (TypeScript's API, as `tsc -p test/compat/types/tsconfig.json --noEmit` would). The example app
 * (examples/rtm-login) is type-checked here too, under its own tsconfig.
 */
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TSCONFIG = `${ROOT}test/compat/types/tsconfig.json`;
const SDK1 = `${ROOT}node_modules/agora-rtm-sdk/index.d.ts`;
const SDK2 = `${ROOT}node_modules/agora-rtm/agora-rtm.d.ts`;
const CHECKS = `${ROOT}test/compat/types/sdk-types.ts`;
const EXAMPLE_TSCONFIG = `${ROOT}examples/rtm-login/tsconfig.json`;

/** One change of an SDK's typings: `from` must be in the file (else its shape moved on and this case must be updated). */
interface Change {
  readonly file: string;
  readonly from: string;
  readonly to: string;
}

function parsedConfig(path: string): ts.ParsedCommandLine {
  const parsed = ts.getParsedCommandLineOfConfigFile(path, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    },
  });
  if (parsed === undefined) throw new Error(`cannot read ${path}`);
  return parsed;
}

let oldProgram: ts.Program | undefined;
/** Parsed files, shared by every compile: a file not changed is parsed (and bound) once. */
const parsed = new Map<string, ts.SourceFile>();

/**
 * The diagnostics of compiling `tsconfig` (with `change` applied), as "file:line: message": of every
 * file, or with `only`, of that file alone (faster: the other files' bodies are not checked).
 */
function compile(tsconfig: string, change?: Change, only?: string): string[] {
  const config = parsedConfig(tsconfig);
  const host = ts.createCompilerHost(config.options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    if (change !== undefined && fileName === change.file) {
      const text = ts.sys.readFile(fileName) ?? "";
      if (!text.includes(change.from)) throw new Error(`${fileName} no longer contains ${JSON.stringify(change.from)}: update this case`);
      return ts.createSourceFile(fileName, text.replace(change.from, change.to), languageVersion);
    }
    let file = parsed.get(fileName);
    if (file === undefined) {
      file = getSourceFile(fileName, languageVersion, onError, shouldCreate);
      if (file !== undefined) parsed.set(fileName, file);
    }
    return file;
  };
  const program = ts.createProgram({ rootNames: config.fileNames, options: config.options, host, ...(oldProgram === undefined ? {} : { oldProgram }) });
  oldProgram = program;
  const sourceFile = only === undefined ? undefined : program.getSourceFile(only);
  if (only !== undefined && sourceFile === undefined) throw new Error(`${only} is not in ${tsconfig}`);
  const diagnostics = sourceFile === undefined ? ts.getPreEmitDiagnostics(program) : [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)];
  return diagnostics.map((d) => {
    const where = d.file === undefined ? "" : `${d.file.fileName.replace(ROOT, "")}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: `;
    return `${where}${ts.flattenDiagnosticMessageText(d.messageText, " ")}`;
  });
}

it("the compat modules match both SDKs' typings (no error)", () => {
  expect(compile(TSCONFIG)).toEqual([]);
}, 60_000);

it("the example app type-checks against the real SDKs' typings, its tests against the package's published types (no error)", () => {
  expect(compile(EXAMPLE_TSCONFIG)).toEqual([]);
}, 60_000);

describe("a change of an SDK's typings in an emulated member fails the check", () => {
  const cases: Array<[string, Change]> = [
    ["1.x login resolves to something else", { file: SDK1, from: "login(options: { uid: string; token?: string }): Promise<void>;", to: "login(options: { uid: string; token?: string }): Promise<boolean>;" }],
    ["1.x login takes another option", { file: SDK1, from: "login(options: { uid: string; token?: string }): Promise<void>;", to: "login(options: { uid: string; token?: string; area?: string }): Promise<void>;" }],
    ["1.x ConnectionChangeReason gains a member", { file: SDK1, from: 'LOGIN_SUCCESS = "LOGIN_SUCCESS",', to: 'LOGIN_SUCCESS = "LOGIN_SUCCESS",\n        LOGIN_RETRY = "LOGIN_RETRY",' }],
    ["1.x ConnectionState renames a value", { file: SDK1, from: 'ABORTED = "ABORTED"', to: 'ABORTED = "ABORTED_BY_SERVER"' }],
    ["1.x ConnectionStateChanged listener gains an argument", { file: SDK1, from: "reason: RtmStatusCode.ConnectionChangeReason\n    ) => void;", to: "reason: RtmStatusCode.ConnectionChangeReason,\n      detail: string\n    ) => void;" }],
    ["1.x renewToken takes another argument", { file: SDK1, from: "renewToken(token: string): Promise<void>;", to: "renewToken(token: string, expire?: number): Promise<void>;" }],
    ["2.x login resolves to another response", { file: SDK2, from: "interface LoginResponse extends BaseResponse {\n}", to: "interface LoginResponse extends BaseResponse {\n    sessionId: string;\n}" }],
    ["2.x LoginOptions gains a field", { file: SDK2, from: "interface LoginOptions {", to: "interface LoginOptions {\n    uid?: string;" }],
    ["2.x linkState payload gains a field", { file: SDK2, from: "        isResumed: boolean;", to: "        isResumed: boolean;\n        sessionId: string;" }],
    ["2.x tokenPrivilegeWillExpire listener changes", { file: SDK2, from: "tokenPrivilegeWillExpire: (channelName: string) => void;", to: "tokenPrivilegeWillExpire: (channelName: string, expiresIn: number) => void;" }],
    ["2.x RTMConfig gains a field", { file: SDK2, from: "interface RTMConfig {", to: "interface RTMConfig {\n    region?: string;" }],
    ["2.x ErrorInfo gains a field", { file: SDK2, from: "interface ErrorInfo {", to: "interface ErrorInfo {\n    detail: string;" }],
    ["2.x the RTM constructor takes another argument", { file: SDK2, from: "    userId: string, ", to: "    userId: string, \n    channel: string, " }],
    ["2.x LinkStateChangeReasonDescription changes a text", { file: SDK2, from: 'LOGIN_SUCCESS = "Login success",', to: 'LOGIN_SUCCESS = "Login succeeded",' }],
  ];
  it.each(cases)("%s", (_name, change) => {
    const errors = compile(TSCONFIG, change, CHECKS);
    expect(errors.length, "the check must fail").toBeGreaterThan(0);
    expect(errors.every((e) => e.startsWith("test/compat/types/sdk-types.ts:")), errors.join("\n")).toBe(true);
  }, 60_000);
});
