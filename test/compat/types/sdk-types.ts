/**
 * Compile-only: the compat modules against the real SDKs' declared types (docs/compat.md, "Type
 * fidelity"), for every emulated member: the constants' values, the functions' and methods'
 * parameters and return types, the constructors, the event maps, the error's fields. Nothing here
 * runs; `tsc -p test/compat/types/tsconfig.json` (test/compat/sdk-types.test.ts) must accept it, and
 * must reject it when either SDK's typings change in an emulated member.
 *
 * The SDKs type their constants as TypeScript enums; the compat modules use plain string values
 * (the same ones at run time). So types are compared after `Norm`, which turns each enum member
 * into its string value, and with an exact equality (`Equal`), so that a parameter added, removed,
 * made optional or retyped on either side fails. Where the compat side accepts more than the SDK by
 * design (the 2.1 config `token`), the SDK's type must be assignable to the compat one.
 */
import type Sdk1 from "agora-rtm-sdk";
import type { RtmClient as Sdk1Client, RtmEvents as Sdk1Events } from "agora-rtm-sdk";
import type Sdk2 from "agora-rtm";
import type { ErrorInfo as Sdk2ErrorInfo, IErrorInfo as Sdk2IErrorInfo, RTMClient as Sdk2Client, RTMConfig as Sdk2Config, RTMEvents as Sdk2Events } from "agora-rtm";
import type Compat1 from "../../../compat/agora-rtm-sdk.js";
import type { RtmClient as Compat1Client, RtmClientEvents as Compat1Events } from "../../../compat/agora-rtm-sdk.js";
import type Compat2 from "../../../compat/agora-rtm.js";
import type { ErrorInfo as Compat2ErrorInfo, IErrorInfo as Compat2IErrorInfo, RTMClient as Compat2Client, RTMClientEventMap as Compat2Events, RTMConfig as Compat2Config } from "../../../compat/agora-rtm.js";

// ---- helpers ----

/** True when A and B are the same type (not merely mutually assignable). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Compiles only for `true`. */
type Expect<T extends true> = T;
/** True when A is assignable to B. */
type Extends<A, B> = [A] extends [B] ? true : false;

/** Enum members become their string values, recursively; readonly is dropped; functions are left as they are. */
type Norm<T> = T extends string
  ? `${T}`
  : T extends (...args: any) => any
    ? T
    : T extends readonly unknown[]
      ? { -readonly [I in keyof T]: Norm<T[I]> }
      : T extends object
        ? { -readonly [K in keyof T]: Norm<T[K]> }
        : T;
/** A function's parameters, normalised. */
type Params<F> = F extends (...args: infer P) => any ? Norm<P> : never;
/** A function's return type, normalised. */
type Returns<F> = F extends (...args: any) => infer R ? Norm<R> : never;
/** The same parameters and the same return type. */
type SameSignature<A, B> = Equal<Params<A>, Params<B>> extends true ? Equal<Returns<A>, Returns<B>> : false;

type S1 = typeof Sdk1;
type C1 = typeof Compat1;
type S2 = typeof Sdk2;
type C2 = typeof Compat2;

// ---- agora-rtm-sdk 1.x: the default export's constants ----

export type Rtm1Constants = [
  Expect<Equal<Norm<S1["ConnectionState"]>, Norm<C1["ConnectionState"]>>>,
  Expect<Equal<Norm<S1["ConnectionChangeReason"]>, Norm<C1["ConnectionChangeReason"]>>>,
  Expect<Equal<Norm<S1["LocalInvitationState"]>, Norm<C1["LocalInvitationState"]>>>,
  Expect<Equal<Norm<S1["RemoteInvitationState"]>, Norm<C1["RemoteInvitationState"]>>>,
  Expect<Equal<Norm<S1["LocalInvitationFailureReason"]>, Norm<C1["LocalInvitationFailureReason"]>>>,
  Expect<Equal<Norm<S1["RemoteInvitationFailureReason"]>, Norm<C1["RemoteInvitationFailureReason"]>>>,
  Expect<Equal<Norm<S1["MessageType"]>, Norm<C1["MessageType"]>>>,
  Expect<Equal<Norm<S1["PeerOnlineState"]>, Norm<C1["PeerOnlineState"]>>>,
  Expect<Equal<Norm<S1["PeerSubscriptionOption"]>, Norm<C1["PeerSubscriptionOption"]>>>,
  Expect<Equal<Norm<S1["AreaCode"]>, Norm<C1["AreaCode"]>>>,
  Expect<Equal<Norm<S1["LOG_FILTER_OFF"]>, Norm<C1["LOG_FILTER_OFF"]>>>,
  Expect<Equal<Norm<S1["LOG_FILTER_ERROR"]>, Norm<C1["LOG_FILTER_ERROR"]>>>,
  Expect<Equal<Norm<S1["LOG_FILTER_INFO"]>, Norm<C1["LOG_FILTER_INFO"]>>>,
  Expect<Equal<Norm<S1["LOG_FILTER_WARNING"]>, Norm<C1["LOG_FILTER_WARNING"]>>>,
  Expect<Extends<C1["VERSION"], S1["VERSION"]>>,
  Expect<Extends<C1["BUILD"], S1["BUILD"]>>,
  Expect<Extends<C1["END_CALL_PREFIX"], S1["END_CALL_PREFIX"]>>,
];

// ---- agora-rtm-sdk 1.x: functions and the client's emulated methods ----

export type Rtm1Functions = [
  // createInstance's last overload is the full one: (appId, config?, areaCodes?).
  Expect<Equal<Params<C1["createInstance"]>, Params<S1["createInstance"]>>>,
  Expect<SameSignature<C1["setArea"], S1["setArea"]>>,
  Expect<SameSignature<Compat1Client["login"], Sdk1Client["login"]>>,
  Expect<SameSignature<Compat1Client["logout"], Sdk1Client["logout"]>>,
  Expect<SameSignature<Compat1Client["renewToken"], Sdk1Client["renewToken"]>>,
  Expect<SameSignature<Compat1Client["updateConfig"], Sdk1Client["updateConfig"]>>,
  Expect<SameSignature<Compat1Client["setParameters"], Sdk1Client["setParameters"]>>,
  Expect<Equal<Returns<Compat1Client["listeners"]>, Returns<Sdk1Client["listeners"]>>>,
  Expect<Equal<Returns<Compat1Client["listenerCount"]>, Returns<Sdk1Client["listenerCount"]>>>,
];

// ---- agora-rtm-sdk 1.x: the event map (the emulated events, listener by listener) ----

type Sdk1EventMap = Sdk1Events.RtmClientEvents;
export type Rtm1Events = [
  Expect<Extends<keyof Compat1Events, keyof Sdk1EventMap>>,
  Expect<Equal<Params<Compat1Events["ConnectionStateChanged"]>, Params<Sdk1EventMap["ConnectionStateChanged"]>>>,
  Expect<Equal<Params<Compat1Events["TokenExpired"]>, Params<Sdk1EventMap["TokenExpired"]>>>,
  Expect<Equal<Params<Compat1Events["TokenPrivilegeWillExpire"]>, Params<Sdk1EventMap["TokenPrivilegeWillExpire"]>>>,
];

// The compat client in the SDK's place: its emulated methods are assignable to the SDK client's.
declare const compat1: Compat1Client;
export const asSdk1: Pick<Sdk1Client, "login" | "logout" | "renewToken" | "updateConfig" | "setParameters"> = compat1;
export const asSdk1Factory: (appId: string) => Pick<Sdk1Client, "login" | "logout" | "renewToken"> = (null as unknown as C1)["createInstance"];

// ---- agora-rtm 2.x: constants ----

type S2Constants = S2["constantsType"];
type C2Constants = C2["constantsType"];
export type Rtm2Constants = [
  Expect<Equal<Norm<S2Constants["AreaCode"]>, Norm<C2Constants["AreaCode"]>>>,
  Expect<Equal<Norm<S2Constants["LegacyAreaCode"]>, Norm<C2Constants["LegacyAreaCode"]>>>,
  Expect<Equal<Norm<S2Constants["MessageType"]>, Norm<C2Constants["MessageType"]>>>,
  Expect<Equal<Norm<S2Constants["LinkStateChangeReasonDescription"]>, Norm<C2Constants["LinkStateChangeReasonDescription"]>>>,
  Expect<Equal<Norm<S2Constants["TokenEventReason"]>, Norm<C2Constants["TokenEventReason"]>>>,
  // A numeric enum: its named members, compared by value (as text; the reverse mapping is an index signature on the SDK side).
  Expect<Equal<{ [K in "MESSAGE" | "STREAM" | "USER"]: `${S2Constants["ChannelTypeEnum"][K]}` }, { [K in "MESSAGE" | "STREAM" | "USER"]: `${C2Constants["ChannelTypeEnum"][K]}` }>>,
  Expect<Equal<Exclude<keyof S2Constants["ChannelTypeEnum"], number>, Exclude<keyof C2Constants["ChannelTypeEnum"], number>>>,
  Expect<Equal<keyof S2Constants, keyof C2Constants>>,
  Expect<Extends<C2["VERSION"], S2["VERSION"]>>,
  Expect<Extends<C2["BUILD"], S2["BUILD"]>>,
];

// ---- agora-rtm 2.x: the constructor, the client's emulated methods, the functions ----

type Sdk2Ctor = ConstructorParameters<S2["RTM"]>;
type Compat2Ctor = ConstructorParameters<C2["RTM"]>;
export type Rtm2Client = [
  Expect<Equal<Norm<[Sdk2Ctor[0], Sdk2Ctor[1]]>, Norm<[Compat2Ctor[0], Compat2Ctor[1]]>>>,
  // The config: 2.3's fields exactly, plus RTM 2.1's `token`.
  Expect<Equal<Norm<Omit<Compat2Config, "token">>, Norm<Sdk2Config>>>,
  Expect<Extends<Sdk2Config, Compat2Config>>,
  Expect<Equal<Compat2Ctor["length"], Sdk2Ctor["length"]>>,
  Expect<Extends<InstanceType<C2["RTM"]>, Compat2Client>>,
  Expect<SameSignature<Compat2Client["login"], Sdk2Client["login"]>>,
  Expect<SameSignature<Compat2Client["logout"], Sdk2Client["logout"]>>,
  Expect<SameSignature<Compat2Client["renewToken"], Sdk2Client["renewToken"]>>,
  Expect<SameSignature<C2["setArea"], S2["setArea"]>>,
  Expect<SameSignature<C2["setParameter"], S2["setParameter"]>>,
  Expect<SameSignature<C2["getParameter"], S2["getParameter"]>>,
];

// ---- agora-rtm 2.x: the event map ----

type Sdk2EventMap = Sdk2Events.RTMClientEventMap;
/** The events of 2.3's map that are emulated (`status` is 2.1 and 2.2's: checked below by its shape). */
type Emulated2 = "linkState" | "tokenPrivilegeWillExpire" | "token";
export type Rtm2Events = [
  Expect<Extends<Emulated2, keyof Compat2Events>>,
  Expect<Equal<Params<Compat2Events["linkState"]>, Params<Sdk2EventMap["linkState"]>>>,
  Expect<Equal<Params<Compat2Events["tokenPrivilegeWillExpire"]>, Params<Sdk2EventMap["tokenPrivilegeWillExpire"]>>>,
  Expect<Equal<Params<Compat2Events["token"]>, Params<Sdk2EventMap["token"]>>>,
  Expect<Equal<Returns<Compat2Client["addEventListener"]>, Returns<Sdk2Client["addEventListener"]>>>,
  Expect<Equal<Returns<Compat2Client["removeEventListener"]>, Returns<Sdk2Client["removeEventListener"]>>>,
];

// ---- agora-rtm 2.x: the error ----

type Sdk2Error = InstanceType<S2["RTMBaseError"]>;
type Compat2Error = InstanceType<C2["RTMBaseError"]>;
export type Rtm2Error = [
  Expect<Equal<Compat2ErrorInfo, Sdk2ErrorInfo>>,
  Expect<Equal<Compat2IErrorInfo, Sdk2IErrorInfo>>,
  Expect<Equal<ConstructorParameters<C2["RTMBaseError"]>, ConstructorParameters<S2["RTMBaseError"]>>>,
  Expect<Equal<Pick<Compat2Error, keyof Sdk2Error>, Pick<Sdk2Error, keyof Sdk2Error>>>,
];

// The compat client and error in the SDK's place.
declare const compat2: Compat2Client;
export const asSdk2: Pick<Sdk2Client, "login" | "logout" | "renewToken"> = compat2;
export const asSdk2Error: Sdk2ErrorInfo = null as unknown as Compat2Error;
export const asSdk2ErrorClass: new (operation: string, args?: string | readonly [string, ...unknown[]], errorInfo?: Sdk2IErrorInfo | string | number) => Sdk2ErrorInfo = (null as unknown as C2)["RTMBaseError"];
