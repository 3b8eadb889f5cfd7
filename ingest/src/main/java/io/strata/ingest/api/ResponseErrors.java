package io.strata.ingest.api;

import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.protocol.Message;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The error codes a response carries anywhere in its tree (top level, per topic, per partition,
 * per group…), read from the generated message classes: what Kafka's {@code errorCounts()} gives
 * per response type, without a hand-written list that a new API version would silently outgrow.
 * Each class is inspected once; a response walk then touches only its error codes and children.
 */
final class ResponseErrors {
    private record Plan(List<MethodHandle> errorCodes, List<MethodHandle> children) {
    }

    private static final ClassValue<Plan> PLANS = new ClassValue<>() {
        @Override
        protected Plan computeValue(Class<?> type) {
            return plan(type);
        }
    };

    private ResponseErrors() {
    }

    /** The distinct errors other than NONE in {@code response}. */
    static Set<Errors> of(Message response) {
        Set<Errors> found = EnumSet.noneOf(Errors.class);
        collect(response, found);
        return found;
    }

    private static void collect(Object node, Set<Errors> found) {
        if (node instanceof Collection<?> many) {
            for (Object o : many) {
                collect(o, found);
            }
            return;
        }
        if (!(node instanceof Message m)) {
            return;
        }
        Plan plan = PLANS.get(m.getClass());
        try {
            for (MethodHandle h : plan.errorCodes()) {
                short code = (short) h.invoke(m);
                if (code != Errors.NONE.code()) {
                    found.add(Errors.forCode(code));
                }
            }
            for (MethodHandle h : plan.children()) {
                collect(h.invoke(m), found);
            }
        } catch (Throwable t) {
            throw new IllegalStateException("cannot read the errors of " + m.getClass().getSimpleName(), t);
        }
    }

    private static Plan plan(Class<?> type) {
        List<MethodHandle> codes = new ArrayList<>();
        List<MethodHandle> children = new ArrayList<>();
        MethodHandles.Lookup lookup = MethodHandles.publicLookup();
        for (Method method : type.getMethods()) {
            if (method.getParameterCount() != 0 || Modifier.isStatic(method.getModifiers())
                    || method.getDeclaringClass() != type) {
                continue;
            }
            try {
                if (method.getName().equals("errorCode") && method.getReturnType() == short.class) {
                    codes.add(lookup.unreflect(method));
                } else if (!method.getName().equals("duplicate") && !method.getName().equals("unknownTaggedFields")
                        && (Message.class.isAssignableFrom(method.getReturnType())
                        || Collection.class.isAssignableFrom(method.getReturnType()))) {
                    children.add(lookup.unreflect(method));
                }
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        return new Plan(List.copyOf(codes), List.copyOf(children));
    }
}
