export { type MessageMatch, matchMessage } from '../format/match-message.js';
export { connectSocket } from './socket.js';
export { type ClassifiedClose, type CloseDecision, classifyClose } from './socket-close.js';
export type {
  SocketClient,
  SocketEvents,
  SocketOptions,
  SocketReconnectOptions,
  WebSocketConstructor,
  WebSocketLike,
} from './socket-types.js';
