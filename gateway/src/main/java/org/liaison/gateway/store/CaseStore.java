package org.liaison.gateway.store;

import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.liaison.gateway.store.MessageStore.Assignment;

/** Cases: the people an operator assigned to each, and the messages (received and sent) recorded with each. */
public interface CaseStore {
    /** The case a message was recorded with, if any. */
    Optional<String> caseOf(UUID messageId, boolean received);

    /** Assigns a person to a case; {@code false} if they were already. */
    boolean assign(Assignment assignment);

    /** Takes a person off a case; {@code false} if they were not on it. */
    boolean unassign(String caseRef, String person);

    /** Every assignment, by case. */
    List<Assignment> assignments();

    /**
     * The messages of a case (not deleted); with {@code untagged}, also those stored before cases were
     * recorded (the caller checks those itself).
     */
    List<UUID> messagesOfCase(String caseRef, boolean received, boolean untagged);
}
