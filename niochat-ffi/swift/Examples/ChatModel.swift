// A SwiftUI chat screen's model: the status and the conversation as @Published properties.
// Hold it in a @StateObject; call `shutdown()` when the screen goes away, and forward the
// scene phase and network path changes (see the README's iOS section).
import Foundation
import NioChat
import SwiftUI

@MainActor
final class ChatModel: ObservableObject {
    @Published private(set) var status: Status = .disconnected
    @Published private(set) var messages: [ChatMessage] = []
    @Published var problem: String?

    private let client: Client
    private let conversation: String
    private var reader: Task<Void, Never>?

    init(url: String, token: String, conversation: String) throws {
        self.conversation = conversation
        client = try Client(config: ClientConfig(url: url, token: token), tokens: nil, storage: nil)
        reader = Task { [weak self, client] in
            for await event in client.events() {
                await self?.apply(event)
            }
        }
        try client.connect()
        Task { [client] in try? await client.join(conversationId: conversation) }
    }

    private func apply(_ event: Event) {
        switch event {
        case .statusChanged(let status):
            self.status = status
        case .message(let message, _) where message.conversationId == conversation:
            messages.append(message)
        default:
            break
        }
    }

    func send(_ text: String) {
        Task {
            do {
                _ = try await client.sendMessage(conversationId: conversation, text: text)
            } catch NioChatError.QueueFull(let detail) {
                problem = "too many messages waiting: \(detail)"
            } catch {
                problem = "\(error)"
            }
        }
    }

    func scenePhaseChanged(_ phase: ScenePhase) {
        switch phase {
        case .background: try? client.enterBackground()
        case .active: try? client.enterForeground()
        default: break
        }
    }

    func networkChanged(available: Bool) {
        try? client.networkChanged(available: available)
    }

    func shutdown() async {
        reader?.cancel()
        await client.shutdown()
    }
}
